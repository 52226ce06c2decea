// The main thread's side of the request log's SQLite writer thread (sqlite-request-thread.ts): hands
// it batches and chunks of pruning, resolves when each is committed. If the thread cannot start or
// dies, calls reject and `broken` says so; the store then writes in this thread as before.

import type { RequestSummary } from '../request-log/entry';
import { encodeBatch } from './request-batch-codec';
import type { BatchMessage, BatchReply } from './sqlite-request-thread';
import { WorkerLink } from './worker-link';

export class SqliteRequestWriter {
  private readonly link: WorkerLink<BatchMessage, BatchReply>;

  constructor(file: string) {
    this.link = new WorkerLink('sqlite-request-thread', 'writer', { file });
  }

  get broken(): Error | null { return this.link.broken; }

  /** Resolves once the batch is committed; rejects when the database refused it or the thread is gone. */
  async write(batch: readonly RequestSummary[]): Promise<void> {
    const encoded = encodeBatch(batch);
    await this.link.call((id) => ({ id, batch: encoded }), [encoded.numbers.buffer as ArrayBuffer]);
  }

  /** One chunk of pruning, off the event loop; resolves with how many requests went. */
  async prune(before: number, chunk: number): Promise<number> {
    const r = await this.link.call((id) => ({ id, prune: { before, chunk } }));
    return 'pruned' in r ? r.pruned ?? 0 : 0;
  }

  close(): Promise<void> { return this.link.close(); }
}
