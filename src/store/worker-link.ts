// A worker thread spoken to by request and reply, each matched by id: the request log's SQLite
// writer and reader threads. The thread says it is ready by replying to id 0. If it cannot start or
// dies, every call rejects and `broken` says why; callers then do the work in this thread.

import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';

interface Pending<R> { resolve: (r: R) => void; reject: (err: Error) => void }

export class WorkerLink<M extends { id: number }, R extends { id: number }> {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending<R>>();
  private readonly ready: Promise<void>;
  private nextId = 1;
  private inFlight = 0;
  broken: Error | null = null;

  /** `name`: the thread's module next to this one (sqlite-request-thread, …); `what`: for messages. */
  constructor(name: string, private readonly what: string, workerData: unknown) {
    const entry = join(__dirname, `${name}${extname(__filename)}`);
    // Built: the .js file. From the sources (tests, `tsx src/main.ts`): the thread loads tsx's CommonJS
    // hook itself, whatever loader flags started this process.
    this.worker = entry.endsWith('.ts')
      ? new Worker(`require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(entry)});`, { eval: true, workerData })
      : new Worker(entry, { workerData });
    this.ready = new Promise((resolve, reject) => this.pending.set(0, { resolve: () => resolve(), reject }));
    this.ready.catch(() => undefined);
    this.worker.on('message', (r: R) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if ('error' in r) p.reject(Object.assign(new Error(String(r.error)), { code: (r as { code?: string }).code }));
      else p.resolve(r);
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`the request log's ${what} thread exited (code ${code})`)));
    // Idle, the thread does not keep the process alive; a call in flight does (see call). After the
    // 'message' listener: adding one refs the port again.
    this.worker.unref();
  }

  /** Sends `message(id)` and resolves with the thread's reply; rejects with its error or when it is gone. */
  async call(message: (id: number) => M, transfer: ArrayBuffer[] = []): Promise<R> {
    if (this.broken) throw this.broken;
    // While a call is on its way the process must not exit (the final flush at shutdown waits here).
    if (this.inFlight++ === 0) this.worker.ref();
    try {
      await this.ready;
      const id = this.nextId++;
      const done = new Promise<R>((resolve, reject) => this.pending.set(id, { resolve, reject }));
      this.worker.postMessage(message(id), transfer);
      return await done;
    } finally {
      if (--this.inFlight === 0) this.worker.unref();
    }
  }

  async close(): Promise<void> {
    if (this.broken) return;
    this.broken = new Error(`the request log's ${this.what} thread is closed`);
    this.worker.ref(); // an unref'd thread's exit would not keep the process alive until it is awaited here
    await this.worker.terminate();
  }

  private fail(err: Error): void {
    if (!this.broken) this.broken = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
