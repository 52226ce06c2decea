// Items buffered on the hot path and written in batches off it: the first item arms a timer, a flush
// writes what is buffered, and writes run one at a time in a queue that other work can join (an admin
// command's transaction, a snapshot). A write that throws puts its batch back in front and is tried
// again later, so nothing buffered is lost while the database is down; a writer that would rather
// drop a batch (one bad row must not hold back the rows behind it) catches inside `write`.

/** What is waiting to be written; `take` hands over at most `max` items, oldest first. */
export interface Buffer<T> {
  readonly size: number;
  add(item: T): void;
  take(max?: number): T[];
  /** Puts a batch that could not be written back in front, in order. */
  restore(batch: T[]): void;
}

/** A plain list: what is added is written as it came. */
export class ListBuffer<T> implements Buffer<T> {
  private items: T[] = [];
  get size(): number { return this.items.length; }
  add(item: T): void { this.items.push(item); }
  take(max = Infinity): T[] { return this.items.splice(0, max); }
  restore(batch: T[]): void { this.items = batch.concat(this.items); }
}

export interface BatchWriterOptions<T> {
  write: (batch: T[]) => Promise<unknown>;
  flushMs: number;
  /** How long after a failed write it is tried again (default flushMs); only a write that throws is retried. */
  retryMs?: number;
  /** At most this many items per write; a flush writes as many batches as it takes. */
  maxBatch?: number;
  /**
   * Write a full batch (maxBatch items) at once, not only when the timer fires: under load the items
   * then wait milliseconds, not flushMs, and die young instead of filling the old heap.
   */
  writeFullBatches?: boolean;
  /** Whether a pending flush may keep the process alive (it must, when what is buffered has been acknowledged). */
  keepAlive?: boolean;
  /** A write failed; its batch is back in the buffer. */
  failed?: (err: unknown) => void;
}

export class BatchWriter<T> {
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(readonly buffer: Buffer<T>, private readonly o: BatchWriterOptions<T>) {}

  /** Buffers one item; O(1), and arms the flush timer when none is armed. */
  add(item: T): void {
    this.buffer.add(item);
    if (this.stopped) return;
    if (this.timer === null) this.arm(this.o.flushMs);
    else if (this.o.writeFullBatches && this.buffer.size === this.o.maxBatch) {
      this.disarm();
      this.arm(0);
    }
  }

  /** Writes what is buffered when its turn in the queue comes; rejects when a write fails. */
  flush(): Promise<void> {
    this.disarm();
    return this.run(() => this.writeBuffered());
  }

  /** Runs `task` in the queue: no write of this writer is in flight while it runs. */
  run<R>(task: () => R | Promise<R>): Promise<R> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Only inside `run`: takes what is buffered (everything, not split into batches) and hands it to
   * `write` with whatever goes in the same transaction; the batch is put back when that throws.
   */
  withBuffered<R>(write: (batch: T[]) => Promise<R>): Promise<R> {
    return this.attempt(this.buffer.take(), write);
  }

  /** Arms no more timers (a final flush still writes). */
  stop(): void {
    this.stopped = true;
    this.disarm();
  }

  private async writeBuffered(): Promise<void> {
    for (let left = this.buffer.size; left > 0;) {
      const batch = this.buffer.take(this.o.maxBatch);
      left -= batch.length;
      await this.attempt(batch, this.o.write);
    }
  }

  private async attempt<R>(batch: T[], write: (batch: T[]) => Promise<R>): Promise<R> {
    try {
      return await write(batch);
    } catch (err) {
      this.putBack(batch, err);
      throw err;
    }
  }

  private putBack(batch: T[], err: unknown): void {
    this.buffer.restore(batch);
    if (!this.stopped && this.timer === null && this.buffer.size > 0) {
      this.arm(this.o.retryMs ?? this.o.flushMs);
      this.timer!.unref(); // a retry must not keep a stopping process alive
    }
    this.o.failed?.(err);
  }

  private arm(ms: number): void {
    this.timer = setTimeout(flushLater, ms, this);
    if (!this.o.keepAlive) this.timer.unref();
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** The timer's callback: a failed flush has been reported (`failed`) and its batch stays buffered. */
function flushLater<T>(w: BatchWriter<T>): void {
  w.flush().catch(() => undefined);
}
