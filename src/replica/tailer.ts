// Reads the events other replicas append to the shared MySQL log, every REPLICA_POLL_MS. When nothing
// is new a poll is one indexed range query that returns no row. Rows go into the log-order state, which
// waits for holes so it folds exactly the log's order; then the live pool is set to that state plus
// what it does not hold yet (src/replica/unsettled.ts), so a missing seq delays nothing on show.

import type { Decoded } from '../events/decode';
import type { StoredEvent } from '../events/types';
import type { Log } from '../log';
import type { Projection } from '../projection/projection';
import type { EventStore } from '../store/event-store';
import type { LogOrderState } from './log-order-state';
import { seqOf } from './seq-order';
import type { Unsettled } from './unsettled';

export interface TailerOptions {
  events: Pick<EventStore, 'readAfter' | 'readSeqs' | 'origin'>;
  projection: Pick<Projection, 'announce' | 'whenIdle' | 'seqs'>;
  ordered: LogOrderState;
  unsettled: Unsettled;
  pollMs: number;
  /** How long a missing seq is waited for (and asked for again) before the log-order state reads past it. */
  lateWindowMs: number;
  log: Log;
  now?: () => number;
  pageSize?: number;
  /** Runs after every poll (the lease holder writes snapshots there). */
  afterPoll?: () => Promise<void>;
}

export interface TailerStats {
  polls: number; folded: number; lateFolded: number; errors: number;
  lastPollAt: number | null; cursor: number; orderedSeq: number; waiting: number; skippedHoles: number;
  /** Events folded into the log-order state: each event of the log once. */
  logOrderFolded: number;
  /** This replica's own events shown on top of the log-order state, and how many times they were refolded. */
  unsettled: number; refolded: number;
  /** Others' events shown from the overlay while a hole below them held them out of the log-order state (summed over polls). */
  shownAboveHoles: number;
}

export class Tailer {
  private cursor: number;
  /** The highest seq read so far: a smaller one read later filled a hole. */
  private highest: number;
  private first = true;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private failing = false;
  private readonly now: () => number;
  readonly stats: TailerStats = {
    polls: 0, folded: 0, lateFolded: 0, errors: 0, lastPollAt: null, cursor: 0, orderedSeq: 0, waiting: 0, skippedHoles: 0,
    logOrderFolded: 0, unsettled: 0, refolded: 0, shownAboveHoles: 0,
  };

  constructor(private readonly o: TailerOptions) {
    this.now = o.now ?? Date.now;
    this.cursor = o.ordered.seq;
    this.highest = o.ordered.seq;
  }

  /** Polls every pollMs until stopped. */
  start(): void {
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Reads and folds everything new; one at a time. */
  poll(): Promise<void> {
    const run = this.running.then(() => this.pollOnce());
    this.running = run.catch(() => undefined);
    return run;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.poll()
        .then(() => {
          if (this.failing) this.o.log.info('reading the shared event log works again');
          this.failing = false;
        })
        .catch((err) => {
          this.stats.errors++;
          if (!this.failing) this.o.log.error({ err }, 'reading the shared event log failed; retrying');
          this.failing = true;
        })
        .finally(() => this.schedule());
    }, this.o.pollMs);
    this.timer.unref();
  }

  private async pollOnce(): Promise<void> {
    const { events, projection, ordered, unsettled } = this.o;
    const page = this.o.pageSize ?? 2000;
    const fresh: StoredEvent[] = [];
    for (;;) {
      const rows = await events.readAfter(this.cursor, page);
      if (rows.length) this.cursor = Math.max(this.cursor, seqOf(rows[rows.length - 1]));
      this.take(rows, fresh);
      if (rows.length < page) break;
    }
    // Holes below the cursor: asked for again while the log-order state still waits for them.
    const holes = ordered.order.missing(this.cursor, 1000);
    if (holes.length) this.take(await events.readSeqs(holes), fresh);

    const now = this.now();
    // In the write queue: this replica's appends that the rows above may hold have settled their marks.
    await projection.whenIdle(() => {
      const touched = new Set<string>();
      for (const e of ordered.advance(now, this.o.lateWindowMs)) if (e.key_id !== null) touched.add(e.key_id);
      projection.seqs.advanceTo(ordered.seq);
      const waiting: StoredEvent[] = [];
      for (const row of ordered.order.waitingRows()) if (row.ok && row.event.origin !== events.origin) waiting.push(row.event);
      unsettled.refresh(ordered.state, ordered.seq, waiting, touched, this.first);
      this.stats.shownAboveHoles += waiting.length;
      this.first = false;
      for (const e of fresh) projection.announce(e);
    });

    this.stats.polls++;
    this.stats.folded += fresh.length;
    this.stats.lastPollAt = now;
    this.stats.cursor = this.cursor;
    this.stats.orderedSeq = ordered.seq;
    this.stats.waiting = ordered.order.waiting;
    this.stats.skippedHoles = ordered.order.skipped;
    this.stats.logOrderFolded = ordered.total;
    this.stats.unsettled = unsettled.size;
    this.stats.refolded = unsettled.refolded;
    if (this.o.afterPoll) await this.o.afterPoll();
  }

  /** Hands new rows to the log-order state; collects the others' events to announce. */
  private take(rows: readonly Decoded[], fresh: StoredEvent[]): void {
    if (rows.length === 0) return;
    const { events, projection, ordered } = this.o;
    const late: number[] = [];
    for (const row of ordered.push(rows, this.now())) {
      const seq = seqOf(row);
      if (seq < this.highest) late.push(seq);
      else this.highest = seq;
      if (!row.ok) { this.o.log.warn({ seq, error: row.error }, 'skipping an event that does not decode'); continue; }
      // Already folded live: this replica's own events, and what the projection read when it loaded.
      if (row.event.origin !== events.origin && !projection.seqs.has(seq)) fresh.push(row.event);
    }
    if (late.length) {
      this.stats.lateFolded += late.length;
      this.o.log.debug({ seqs: late }, 'events became visible after later ones; folded in seq order');
    }
  }
}
