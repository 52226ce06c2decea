// The main thread's side of the request log's SQLite writer thread (sqlite-request-thread.ts): hands
// it batches, resolves when each is committed. If the thread cannot start or dies, `write` rejects
// and `broken` says so; the store then writes in this thread as before.

import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { RequestSummary } from '../request-log/entry';
import { encodeBatch } from './request-batch-codec';
import type { BatchMessage, BatchReply } from './sqlite-request-thread';

interface Pending { resolve: (r: BatchReply) => void; reject: (err: Error) => void }

export class SqliteRequestWriter {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private readonly ready: Promise<void>;
  private nextId = 1;
  private writing = 0; // writes not yet settled
  broken: Error | null = null;

  constructor(file: string) {
    const entry = join(__dirname, `sqlite-request-thread${extname(__filename)}`);
    // Built: the .js file. From the sources (tests, `tsx src/main.ts`): the thread loads tsx's CommonJS
    // hook itself, whatever loader flags started this process.
    this.worker = entry.endsWith('.ts')
      ? new Worker(`require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(entry)});`, { eval: true, workerData: { file } })
      : new Worker(entry, { workerData: { file } });
    this.ready = new Promise((resolve, reject) => this.pending.set(0, { resolve: () => resolve(), reject }));
    this.ready.catch(() => undefined);
    this.worker.on('message', (r: BatchReply) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if ('error' in r) p.reject(new Error(r.error));
      else p.resolve(r);
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`the request log's writer thread exited (code ${code})`)));
    // Idle, the thread does not keep the process alive; a batch in flight does (see write). After the
    // 'message' listener: adding one refs the port again.
    this.worker.unref();
  }

  /** Resolves once the batch is committed; rejects when the database refused it or the thread is gone. */
  async write(batch: readonly RequestSummary[]): Promise<void> {
    const encoded = encodeBatch(batch);
    await this.send((id) => ({ id, batch: encoded }), [encoded.numbers.buffer as ArrayBuffer]);
  }

  /** One chunk of pruning, off the event loop; resolves with how many requests went. */
  async prune(before: number, chunk: number): Promise<number> {
    const r = await this.send((id) => ({ id, prune: { before, chunk } }));
    return 'pruned' in r ? r.pruned ?? 0 : 0;
  }

  private async send(message: (id: number) => BatchMessage, transfer: ArrayBuffer[] = []): Promise<BatchReply> {
    if (this.broken) throw this.broken;
    // While a message is on its way the process must not exit (the final flush at shutdown waits here).
    if (this.writing++ === 0) this.worker.ref();
    try {
      await this.ready;
      const id = this.nextId++;
      const done = new Promise<BatchReply>((resolve, reject) => this.pending.set(id, { resolve, reject }));
      this.worker.postMessage(message(id), transfer);
      return await done;
    } finally {
      if (--this.writing === 0) this.worker.unref();
    }
  }

  async close(): Promise<void> {
    if (this.broken) return;
    this.broken = new Error('the request log\'s writer thread is closed');
    this.worker.ref(); // an unref'd thread's exit would not keep the process alive until it is awaited here
    await this.worker.terminate();
  }

  private fail(err: Error): void {
    if (!this.broken) this.broken = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
