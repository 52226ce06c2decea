// Writes request summaries in batches off the hot path: `push` only queues (the proxy never waits),
// the batch writer flushes one transaction per batch. The queue is bounded: while the database is
// slower than the traffic, or away, new summaries are dropped and counted rather than held in memory
// without end. A batch that failed for a reason that passes (a lost connection, a deadlock, a lock held
// too long) stays in front of the queue and is tried again, a few times; a batch the database refuses
// is dropped and counted: one bad row must not hold back the rows behind it, and the request log is
// not the source of truth for anything.

import type { Log } from '../log';
import { BatchWriter, ListBuffer } from '../projection/batch-writer';
import type { RequestLogStore } from '../store/request-log-store';
import { isTransientDbError } from '../store/transient-error';
import type { RequestSummary } from './entry';

export interface WriterOptions {
  flushMs: number; maxQueue: number; batch?: number;
  /** How long after a failure that may pass the batch is tried again (default flushMs). */
  retryMs?: number;
  /** How long a batch is tried again before it is dropped although its failure looked like one that passes (30 s). */
  retryForMs?: number;
  now?: () => number;
}

export interface WriterStats { written: number; dropped: number; failed: number; queued: number; last_flush_ms: number }

export class RequestLogWriter {
  private readonly queue = new ListBuffer<RequestSummary>();
  private readonly batches: BatchWriter<RequestSummary>;
  private failingSince: number | null = null; // the batch in front failed for a reason that passes, since then
  private stopping = false;
  private readonly now: () => number;
  private readonly counts: WriterStats = { written: 0, dropped: 0, failed: 0, queued: 0, last_flush_ms: 0 };
  /** Called after each batch is durable (the charts' cache listens). */
  onWritten: (batch: readonly RequestSummary[]) => void = () => undefined;

  constructor(private readonly store: RequestLogStore, private readonly log: Log, private readonly o: WriterOptions) {
    this.now = o.now ?? (() => performance.now());
    this.batches = new BatchWriter(this.queue, {
      write: (batch) => this.write(batch), flushMs: o.flushMs, retryMs: o.retryMs, maxBatch: o.batch ?? 500, writeFullBatches: true,
    });
  }

  /** What was written, dropped and failed, and what waits now (a kept batch included). */
  get stats(): WriterStats {
    this.counts.queued = this.queue.size;
    return this.counts;
  }

  push(s: RequestSummary): void {
    if (this.queue.size >= this.o.maxQueue) { this.counts.dropped++; return; }
    this.batches.add(s);
  }

  /**
   * Writes everything queued so far; resolves when it is durable, counted as failed, or kept for
   * another try (a failure that passes: the batch waits in front of the queue).
   */
  flush(): Promise<void> { return this.batches.flush().catch(() => undefined); }

  /** Final flush on shutdown (no batch is kept for later: what fails now is counted); later pushes are not written. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.batches.stop();
    await this.flush();
  }

  private async write(batch: RequestSummary[]): Promise<void> {
    const t0 = performance.now();
    try {
      await this.store.insert(batch);
      this.failingSince = null;
      this.counts.written += batch.length;
      this.onWritten(batch);
    } catch (err) {
      if (isTransientDbError(err) && !this.stopping) {
        const first = this.failingSince === null;
        this.failingSince ??= this.now();
        if (this.now() - this.failingSince < (this.o.retryForMs ?? 30_000)) {
          if (first) this.log.warn({ err: (err as Error).message, rows: batch.length }, 'request log batch not written yet; trying it again');
          throw err; // the batch writer keeps it in front and tries again after retryMs
        }
      }
      this.failingSince = null;
      this.counts.failed += batch.length;
      this.log.warn({ err: (err as Error).message, rows: batch.length }, 'request log batch could not be written; rows dropped');
    }
    this.counts.last_flush_ms = Math.round((performance.now() - t0) * 100) / 100;
  }
}
