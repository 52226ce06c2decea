// Writes snapshots of a folded state: the projection's own (one process on SQLite) and, with replicas,
// the log-order state the lease holder keeps (src/replica/replication.ts). The state is serialised
// when it is captured, so what is folded while the snapshot is saved cannot slip into it; a snapshot
// that fails is logged, and the next one due tries again.

import type { PoolState } from '../domain/pool-state';
import { silentLog, type Log } from '../log';
import type { SnapshotStore } from '../store/snapshot-store';

export interface SnapshotStats { lastSnapshotAt: number | null; lastSnapshotSeq: number }

/** A state serialised for a snapshot, and how many events the process had folded into it. */
export interface Capture { state: string; events: number }

export interface SnapshotterOptions {
  store: Pick<SnapshotStore, 'save'>;
  /** A snapshot is due once this many events are folded since the last one. */
  every: number;
  /** How many snapshots the store keeps. */
  kept: number;
  now: () => number;
  log?: Log;
  stats?: SnapshotStats;
}

export class Snapshotter {
  readonly stats: SnapshotStats;
  private writing = false;
  private readonly log: Log;

  constructor(private readonly o: SnapshotterOptions) {
    this.log = o.log ?? silentLog;
    this.stats = o.stats ?? { lastSnapshotAt: null, lastSnapshotSeq: 0 };
  }

  /** Whether `since` events folded since the last snapshot call for a new one. */
  due(since: number): boolean { return since >= this.o.every; }

  capture(state: PoolState, events: number): Capture { return { state: JSON.stringify(state), events }; }

  /** Saves `c` as the state of the log up to `seq` plus the seqs `above` it. */
  async save(c: Capture, seq: number, above: number[]): Promise<void> {
    const at = this.o.now();
    await this.o.store.save({ seq, above, at, events: c.events, state: c.state }, this.o.kept);
    this.stats.lastSnapshotAt = at;
    this.stats.lastSnapshotSeq = seq;
  }

  /** Runs `write` unless a snapshot is being written already; a failure is logged, not thrown. */
  async once(write: () => Promise<void>): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      await write();
    } catch (err) {
      this.log.error({ err }, 'writing a snapshot failed');
    } finally {
      this.writing = false;
    }
  }

  /** A snapshot was loaded at start: the stats show it as the last one. */
  loaded(s: { at: number; seq: number }): void {
    this.stats.lastSnapshotAt = s.at;
    this.stats.lastSnapshotSeq = s.seq;
  }
}
