// Reads the events other replicas append to the shared MySQL log and folds them into the live
// projection, every REPLICA_POLL_MS. When nothing is new a poll is one indexed range query that
// returns no row. Rows go two ways: into the live projection at once (a missing seq does not delay
// the ones above it), and into the log-order state, which waits for holes so it folds exactly the
// log's order; keys whose live fold went another way are then corrected to it.

import type { Decoded } from '../events/decode';
import type { Log } from '../log';
import type { Projection } from '../projection/projection';
import type { EventStore } from '../store/event-store';
import type { LogOrderState } from './log-order-state';
import type { Reconciler } from './reconciler';
import { seqOf } from './seq-order';

export interface TailerOptions {
  events: Pick<EventStore, 'readAfter' | 'readSeqs'>;
  projection: Pick<Projection, 'foldDecoded' | 'foldLate' | 'seqs'>;
  ordered: LogOrderState;
  reconciler: Reconciler;
  pollMs: number;
  /** How long the live projection holds a hole open before folding past it. */
  gapWaitMs: number;
  /** How long a skipped seq is still asked for (and the log-order state waits for it). */
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
}

export class Tailer {
  private cursor: number;
  /** Seqs the live projection skipped as holes; if one appears while watched, it is folded late. */
  private readonly late = new Set<number>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private failing = false;
  private readonly now: () => number;
  readonly stats: TailerStats = {
    polls: 0, folded: 0, lateFolded: 0, errors: 0, lastPollAt: null, cursor: 0, orderedSeq: 0, waiting: 0, skippedHoles: 0,
  };

  constructor(private readonly o: TailerOptions) {
    this.now = o.now ?? Date.now;
    this.cursor = o.ordered.seq;
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
    const { events, projection, ordered } = this.o;
    const page = this.o.pageSize ?? 2000;
    for (;;) {
      const rows = await events.readAfter(this.cursor, page);
      if (rows.length) this.cursor = Math.max(this.cursor, seqOf(rows[rows.length - 1]));
      this.take(rows);
      if (rows.length < page) break;
    }
    // Holes below the cursor: asked for again while the log-order state still waits for them.
    const holes = ordered.order.missing(this.cursor, 1000);
    if (holes.length) this.take(await events.readSeqs(holes));

    const now = this.now();
    for (const seq of projection.seqs.skipOldHoles(now, this.o.gapWaitMs)) this.late.add(seq);
    ordered.advance(now, this.o.lateWindowMs);
    for (const seq of this.late) if (seq <= ordered.seq) this.late.delete(seq);
    const corrected = this.o.reconciler.run(ordered.state, ordered.seq);
    if (corrected > 0) this.o.log.debug({ corrected, seq: ordered.seq }, 'set keys folded out of log order to their log-order state');

    this.stats.polls++;
    this.stats.lastPollAt = now;
    this.stats.cursor = this.cursor;
    this.stats.orderedSeq = ordered.seq;
    this.stats.waiting = ordered.order.waiting;
    this.stats.skippedHoles = ordered.order.skipped;
    if (this.o.afterPoll) await this.o.afterPoll();
  }

  private take(rows: readonly Decoded[]): void {
    if (rows.length === 0) return;
    const { projection, ordered } = this.o;
    const normal: Decoded[] = [];
    const late: Decoded[] = [];
    for (const row of rows) (this.late.delete(seqOf(row)) ? late : normal).push(row);
    this.stats.folded += projection.foldDecoded(normal).folded;
    if (late.length) {
      this.stats.lateFolded += projection.foldLate(late);
      this.o.log.warn({ seqs: late.map(seqOf) }, 'events became visible after the gap wait; folded late');
    }
    ordered.push(rows, this.now());
  }
}
