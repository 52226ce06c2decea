// Writes request summaries in batches off the hot path: `push` only queues (the proxy never waits),
// the batch writer flushes one transaction per batch. The queue is bounded: while the database is
// slower than the traffic, new summaries are dropped and counted rather than held in memory without
// end. A batch the database refuses is dropped and counted too: one bad row must not hold back the
// rows behind it, and the request log is not the source of truth for anything.

import type { Log } from '../log';
import { BatchWriter, ListBuffer } from '../projection/batch-writer';
import type { RequestLogStore } from '../store/request-log-store';
import type { RequestSummary } from './entry';

export interface WriterOptions { flushMs: number; maxQueue: number; batch?: number }

export interface WriterStats { written: number; dropped: number; failed: number; queued: number; last_flush_ms: number }

export class RequestLogWriter {
  private readonly queue = new ListBuffer<RequestSummary>();
  private readonly batches: BatchWriter<RequestSummary>;
  readonly stats: WriterStats = { written: 0, dropped: 0, failed: 0, queued: 0, last_flush_ms: 0 };
  /** Called after each batch is durable (the charts' cache listens). */
  onWritten: (batch: readonly RequestSummary[]) => void = () => undefined;

  constructor(private readonly store: RequestLogStore, private readonly log: Log, private readonly o: WriterOptions) {
    this.batches = new BatchWriter(this.queue, { write: (batch) => this.write(batch), flushMs: o.flushMs, maxBatch: o.batch ?? 500, writeFullBatches: true });
  }

  push(s: RequestSummary): void {
    if (this.queue.size >= this.o.maxQueue) { this.stats.dropped++; return; }
    this.batches.add(s);
    this.stats.queued = this.queue.size;
  }

  /** Writes everything queued so far; resolves when it is durable (or counted as failed). */
  flush(): Promise<void> { return this.batches.flush(); }

  /** Final flush on shutdown; later pushes are not written. */
  async stop(): Promise<void> {
    this.batches.stop();
    await this.flush();
  }

  private async write(batch: RequestSummary[]): Promise<void> {
    this.stats.queued = this.queue.size;
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
