// Writes request summaries in batches off the hot path: `push` only queues (the proxy never waits),
// a timer flushes one transaction per batch. The queue is bounded: while the database is slower than
// the traffic, new summaries are dropped and counted rather than held in memory without end.

import type { Log } from '../log';
import type { RequestLogStore } from '../store/request-log-store';
import type { RequestSummary } from './entry';

export interface WriterOptions { flushMs: number; maxQueue: number; batch?: number }

export interface WriterStats { written: number; dropped: number; failed: number; queued: number; last_flush_ms: number }

export class RequestLogWriter {
  private queue: RequestSummary[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private stopped = false;
  readonly stats: WriterStats = { written: 0, dropped: 0, failed: 0, queued: 0, last_flush_ms: 0 };
  /** Called after each batch is durable (the charts' cache listens). */
  onWritten: (batch: readonly RequestSummary[]) => void = () => undefined;

  constructor(private readonly store: RequestLogStore, private readonly log: Log, private readonly o: WriterOptions) {}

  push(s: RequestSummary): void {
    if (this.queue.length >= this.o.maxQueue) { this.stats.dropped++; return; }
    this.queue.push(s);
    this.stats.queued = this.queue.length;
    if (this.timer === null && this.flushing === null && !this.stopped) {
      this.timer = setTimeout(runFlush, this.o.flushMs, this);
      this.timer.unref();
    }
  }

  /** Writes everything queued so far; resolves when it is durable (or counted as failed). */
  async flush(): Promise<void> {
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    while (this.flushing) await this.flushing;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.o.batch ?? 500);
      this.stats.queued = this.queue.length;
      this.flushing = this.write(batch);
      await this.flushing;
      this.flushing = null;
    }
  }

  /** Final flush on shutdown; later pushes are dropped. */
  async stop(): Promise<void> {
    await this.flush();
    this.stopped = true;
  }

  private async write(batch: RequestSummary[]): Promise<void> {
    const t0 = performance.now();
    try {
      await this.store.insert(batch);
      this.stats.written += batch.length;
      this.onWritten(batch);
    } catch (err) {
      this.stats.failed += batch.length;
      this.log.warn({ err: (err as Error).message, rows: batch.length }, 'request log batch could not be written; rows dropped');
    }
    this.stats.last_flush_ms = Math.round((performance.now() - t0) * 100) / 100;
  }
}

function runFlush(w: RequestLogWriter): void {
  void w.flush();
}
