// What a replica's live pool shows beyond the log-order state: its own outcomes and commands until the
// log-order state has folded them, and the others' events that wait there behind a hole in the seq.
// After every poll the live pool is set to the log-order state with these folded on top, for every
// key they or the poll touched. So each of the others' events is folded once, into the log-order
// state (the ones behind a hole are shown from the overlay meanwhile), and once the overlay is empty
// the live pool is exactly what a replay of the log gives: convergence by construction, no comparing.

import { evolve } from '../domain/evolve';
import { cloneKey, type KeyState, type PoolState } from '../domain/pool-state';
import type { NewEvent, StoredEvent } from '../events/types';

/** What the overlay needs of the live projection. */
export interface LiveView {
  state: PoolState;
  /** Recorded outcomes numbered up to `records` are durable, at seqs up to `seq`. */
  readonly durable: { records: number; seq: number };
  replaceKey(id: string, key: KeyState | null): void;
  replaceGlobals(g: Pick<PoolState, 'everAdded' | 'settings' | 'secretsVersion' | 'totals'>): void;
}

/** One of this replica's own events, folded live before the log-order state has it. */
interface Own { event: NewEvent; record: number; seq: number } // outcome: record > 0, seq 0; command: seq > 0

export class Unsettled {
  private own: Own[] = [];
  /** Durable marks not yet passed by the log-order state, oldest first. */
  private readonly marks: { records: number; seq: number }[] = [];
  private settledRecords = 0;
  /** Own events folded again on top of the log-order state so far (diagnostics, tests). */
  refolded = 0;

  constructor(private readonly live: LiveView) {}

  /** This replica's own events the log-order state has not folded yet. */
  get size(): number { return this.own.length; }

  /** A local outcome, numbered `record`, folded live (the proxy's hot path: one push). */
  outcome(event: NewEvent, record: number): void {
    if (record > this.settledRecords) this.own.push({ event, record, seq: 0 });
  }

  /** One of this replica's commands, folded live once appended at `seq`. */
  command(event: StoredEvent, orderedSeq: number): void {
    if (event.seq > orderedSeq) this.own.push({ event, record: 0, seq: event.seq });
  }

  /**
   * Sets the live pool to `ordered` plus the overlay: `waiting` (others' events behind a hole, in seq
   * order) and this replica's unsettled events (in the order they were folded live). `touched`: keys
   * the log-order state folded events for since the last call; `all` rebuilds every key.
   * Must run while no append of this replica is in flight, so its durable marks are current.
   */
  refresh(ordered: PoolState, orderedSeq: number, waiting: readonly NewEvent[], touched: Iterable<string>, all = false): void {
    const ids = new Set<string>(touched);
    const settledSome = this.settle(orderedSeq, ids);
    if (!all && !settledSome && ids.size === 0 && this.own.length === 0 && waiting.length === 0) return;
    if (all) for (const id of Object.keys(this.live.state.keys).concat(Object.keys(ordered.keys))) ids.add(id);
    for (const o of this.own) if (o.event.key_id !== null) ids.add(o.event.key_id);
    for (const e of waiting) if (e.key_id !== null) ids.add(e.key_id);

    const scratch: PoolState = {
      keys: {}, everAdded: ordered.everAdded, names: {}, settings: { ...ordered.settings },
      secretsVersion: ordered.secretsVersion, totals: { ...ordered.totals },
    };
    for (const id of ids) { const k = ordered.keys[id]; if (k) scratch.keys[id] = cloneKey(k); }
    for (const e of waiting) evolve(scratch, e);
    for (const o of this.own) evolve(scratch, o.event);
    this.refolded += this.own.length;

    const names = this.live.state.names;
    for (const id of ids) if (ordered.names[id] !== undefined) names[id] = ordered.names[id];
    Object.assign(names, scratch.names);
    for (const id of ids) this.live.replaceKey(id, scratch.keys[id] ?? null);
    this.live.replaceGlobals(scratch);
  }

  /** Drops the own events the log-order state has folded; their keys are rebuilt from it. */
  private settle(orderedSeq: number, ids: Set<string>): boolean {
    const d = this.live.durable;
    const last = this.marks[this.marks.length - 1];
    if (d.records > (last?.records ?? this.settledRecords)) this.marks.push({ records: d.records, seq: d.seq });
    while (this.marks.length > 0 && this.marks[0].seq <= orderedSeq) this.settledRecords = this.marks.shift()!.records;
    if (this.own.length === 0) return false;
    const keep: Own[] = [];
    for (const o of this.own) {
      const settled = o.seq > 0 ? o.seq <= orderedSeq : o.record <= this.settledRecords;
      if (!settled) keep.push(o);
      else if (o.event.key_id !== null) ids.add(o.event.key_id);
    }
    const dropped = keep.length < this.own.length;
    this.own = keep;
    return dropped;
  }
}
