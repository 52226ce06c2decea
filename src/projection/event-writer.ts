// Writes this process's events to the log. Proxy and probe outcomes are queued (coalesced: see
// pending-batch.ts) and appended in one transaction per flush; an admin command's events are appended
// after the queued outcomes, in the same transaction, at their turn in the write queue. The writer
// numbers outcomes as they are recorded and says which numbers are durable, at which seq, so a replica
// can tell which of its own outcomes the log holds.

import type { NewEvent, StoredEvent } from '../events/types';
import { silentLog, type Log } from '../log';
import type { EventStore } from '../store/event-store';
import { BatchWriter } from './batch-writer';
import { PendingBatch } from './pending-batch';

export interface WriterStats { appended: number; flushes: number; lastFlushMs: number; pending: number }

export interface EventWriterHooks {
  /** An outcome recorded while a command was being written, handed over once the command's events are folded. */
  held(event: NewEvent, record: number): void;
  /** Events appended in one transaction: the first `outcomes` of them are recorded outcomes, the rest a command's. */
  appended(stored: StoredEvent[], outcomes: number, ms: number): void;
}

export interface EventWriterOptions {
  events: Pick<EventStore, 'append'>;
  flushMs: number;
  hooks: EventWriterHooks;
  log?: Log;
  stats?: WriterStats;
}

export class EventWriter {
  readonly stats: WriterStats;
  /** Recorded outcomes numbered up to `records` are durable, at seqs up to `seq`. */
  readonly durable = { records: 0, seq: 0 };
  private readonly pending = new PendingBatch();
  private readonly batches: BatchWriter<NewEvent>;
  private recorded = 0;
  /** Outcomes recorded while a command is being written: they are stored after it, so folded after it too. */
  private held: NewEvent[] | null = null;
  private stopped = false;
  private readonly log: Log;

  constructor(private readonly o: EventWriterOptions) {
    this.log = o.log ?? silentLog;
    this.stats = o.stats ?? { appended: 0, flushes: 0, lastFlushMs: 0, pending: 0 };
    this.batches = new BatchWriter(this.pending, {
      write: (batch) => this.append(batch, []),
      flushMs: o.flushMs,
      retryMs: Math.max(o.flushMs, 1000),
      keepAlive: true, // outcomes already shown in the pool: a flush is due before the process ends
      failed: (err) => {
        this.stats.pending = this.pending.size;
        this.log.error({ err }, 'appending events failed; they stay queued');
      },
    });
  }

  /** Outcomes recorded so far (each `record` call is numbered). */
  get recordedCount(): number { return this.recorded; }

  /**
   * Queues an outcome for the next batch and returns its number, to be folded now; or 0 when it must
   * not be folded now: after `stop`, or while a command is being written (`hooks.held` gets it later).
   */
  record(event: NewEvent): number {
    if (this.stopped) return 0;
    const n = ++this.recorded;
    this.batches.add(event);
    this.stats.pending = this.pending.size;
    if (this.held === null) return n;
    this.held.push(event);
    return 0;
  }

  /**
   * Appends the events `decide` returns at its turn in the queue, after the queued outcomes and in
   * their transaction; `fold` gets the command's events as stored, before the outcomes held meanwhile.
   */
  command<T>(decide: () => { events: NewEvent[]; result: T }, fold: (stored: StoredEvent[]) => void): Promise<{ stored: StoredEvent[]; result: T }> {
    return this.batches.run(async () => {
      const { events, result } = decide();
      if (events.length === 0) return { stored: [], result };
      const first = this.recorded + 1;
      this.held = [];
      try {
        let outcomes = 0;
        const all = await this.batches.withBuffered((batch) => { outcomes = batch.length; return this.append(batch, events); });
        const stored = all.slice(outcomes);
        fold(stored);
        return { stored, result };
      } finally {
        const later = this.held;
        this.held = null;
        for (let i = 0; i < later.length; i++) this.o.hooks.held(later[i], first + i);
      }
    });
  }

  /** Appends every queued outcome in one transaction. On a database error they stay queued. */
  flush(): Promise<void> { return this.batches.flush(); }

  /** Runs `task` in the write queue: no append of this process is in flight while it runs. */
  whenIdle<T>(task: () => T | Promise<T>): Promise<T> { return this.batches.run(task); }

  /** Only inside `whenIdle`: appends the queued outcomes now; returns them as stored. */
  appendQueued(): Promise<StoredEvent[]> { return this.batches.withBuffered((batch) => this.append(batch, [])); }

  /** Refuses later outcomes and appends the queued ones. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.batches.stop();
    await this.flush();
  }

  private async append(batch: NewEvent[], events: NewEvent[]): Promise<StoredEvent[]> {
    const all = batch.length ? (events.length ? batch.concat(events) : batch) : events;
    if (all.length === 0) return [];
    const started = performance.now();
    const through = this.recorded; // the batch was just taken: it holds every record up to here
    const stored = await this.o.events.append(all);
    if (batch.length) {
      this.durable.records = through;
      this.durable.seq = Math.max(this.durable.seq, stored[batch.length - 1].seq);
    }
    this.stats.appended += stored.length;
    this.stats.flushes++;
    this.stats.lastFlushMs = performance.now() - started;
    this.stats.pending = this.pending.size;
    this.o.hooks.appended(stored, batch.length, this.stats.lastFlushMs);
    return stored;
  }
}
