// Several replicas on one MySQL database: the tailer, the log-order state and the live pool's overlay
// on it, the lease that picks the one replica that probes and writes snapshots. Started after the projection is
// loaded; stopped before the final flush, which it does itself so its last snapshot covers it.

import type { PoolState } from '../domain/pool-state';
import type { Log } from '../log';
import type { Projection } from '../projection/projection';
import type { EventStore } from '../store/event-store';
import type { SnapshotStore } from '../store/snapshot-store';
import { trustedSnapshot } from '../projection/snapshot-check';
import { Snapshotter } from '../projection/snapshotter';
import type { Database } from '../store/database';
import { Lease } from './lease';
import { LeaseStore } from '../store/lease-store';
import { LogOrderState } from './log-order-state';
import { SeqOrder } from './seq-order';
import { Tailer, type TailerStats } from './tailer';
import { Unsettled } from './unsettled';

export const LEASE_NAME = 'leader';

/** The lease as the replication uses it (a MySQL row in production, a stand-in in tests). */
export interface LeaseLike { readonly held: boolean; start(): Promise<void>; stop(): Promise<void> }

export interface ReplicationOptions {
  lease: LeaseLike;
  events: EventStore;
  snapshots: SnapshotStore;
  projection: Projection;
  log: Log;
  pollMs: number;
  gapWaitMs: number;
  snapshotEvery: number;
  snapshotsKept: number;
  now?: () => number;
}

export interface ReplicationStatus extends TailerStats {
  leader: boolean;
}

/** How long a skipped seq is still asked for: a transaction open this long after its insert is lost to running replicas. */
export function lateWindowMs(gapWaitMs: number): number { return Math.max(30_000, 6 * gapWaitMs); }

/** The replication of a runtime on MySQL: the lease is a row in the `leases` table, owned by this origin. */
export function mysqlReplication(o: Omit<ReplicationOptions, 'lease'> & { db: Database; origin: string; leaseSeconds: number }): Replication {
  const lease = new Lease({ store: new LeaseStore(o.db), name: LEASE_NAME, owner: o.origin, leaseMs: o.leaseSeconds * 1000, log: o.log });
  return new Replication({ ...o, lease });
}

export class Replication {
  readonly lease: LeaseLike;
  private tailer!: Tailer;
  private ordered!: LogOrderState;
  private readonly snapshots: Snapshotter;
  private unwatch: () => void = () => undefined;
  private readonly now: () => number;

  constructor(private readonly o: ReplicationOptions) {
    this.now = o.now ?? Date.now;
    this.lease = o.lease;
    // The projection's stats show the last snapshot, whoever wrote it.
    this.snapshots = new Snapshotter({ store: o.snapshots, every: o.snapshotEvery, kept: o.snapshotsKept, now: this.now, log: o.log, stats: o.projection.stats });
  }

  get isLeader(): boolean { return this.lease.held; }

  /** Builds the log-order state, catches up with the log, takes the lease if free, starts polling. */
  async start(): Promise<void> {
    const p = this.o.projection;
    this.ordered = await this.initialOrderedState();
    const unsettled = new Unsettled(p);
    const ordered = this.ordered;
    const origin = this.o.events.origin;
    // Own outcomes through the typed hook, at their fold (the proxy's hot path runs no subscriber);
    // own commands from the fold stream, folded once appended.
    const unhook = p.afterLocalFold((event, record) => unsettled.outcome(event, record));
    const sub = p.folded.subscribe(({ event, local }) => {
      if (!local && 'seq' in event && event.origin === origin) unsettled.command(event, ordered.seq);
    });
    this.unwatch = () => { unhook(); sub.unsubscribe(); };
    this.tailer = new Tailer({
      events: this.o.events, projection: p, ordered, unsettled,
      pollMs: this.o.pollMs, lateWindowMs: lateWindowMs(this.o.gapWaitMs),
      log: this.o.log, now: this.now, afterPoll: () => this.maybeSnapshot(false),
    });
    await this.tailer.poll();
    await this.lease.start();
    this.tailer.start();
  }

  /** Stops polling, makes the outcomes durable, writes the last snapshot (when leading), hands the lease back. */
  async stop(): Promise<void> {
    if (!this.tailer) return;
    await this.tailer.stop();
    try {
      await this.o.projection.flush();
      await this.tailer.poll();
      await this.maybeSnapshot(true);
    } catch (err) {
      this.o.log.warn({ err }, 'could not write the last snapshot; the next start replays a little more of the log');
    } finally {
      this.unwatch();
      await this.lease.stop();
    }
  }

  status(): ReplicationStatus {
    return { ...this.tailer.stats, leader: this.lease.held };
  }

  /** The pool in log order, as every replica folds it (for tests and diagnostics). */
  get logOrderState(): PoolState { return this.ordered.state; }

  /** One poll now (tests; the timer polls on its own). */
  poll(): Promise<void> { return this.tailer.poll(); }

  /**
   * The live projection was loaded in seq order from a snapshot and the log; when it read no hole its
   * state is the log-order state. Otherwise the log-order state is loaded on its own.
   */
  private async initialOrderedState(): Promise<LogOrderState> {
    const p = this.o.projection;
    if (!p.seqs.hasHole) return new LogOrderState(structuredClone(p.state), new SeqOrder(p.seqs.watermark));
    const trusted = await trustedSnapshot(this.o.snapshots, this.o.events, this.o.log);
    if (!trusted) return LogOrderState.empty();
    return new LogOrderState(trusted.state, new SeqOrder(trusted.snapshot.seq, trusted.snapshot.above, this.now()));
  }

  /** The lease holder writes snapshots of the log-order state, so every restart starts from the log's order. */
  private async maybeSnapshot(final: boolean): Promise<void> {
    const since = this.ordered.sinceSnapshot;
    if (!(final ? since > 0 : this.snapshots.due(since)) || !this.lease.held) return;
    await this.snapshots.once(async () => {
      await this.snapshots.save(this.snapshots.capture(this.ordered.state, this.ordered.total), this.ordered.seq, []);
      this.ordered.sinceSnapshot -= since;
      this.o.projection.stats.eventsSinceSnapshot = this.ordered.sinceSnapshot;
    });
  }
}
