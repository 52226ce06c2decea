// The fold: the pool state, the seqs it holds, and the indexes the proxy picks from, kept in step with
// every event folded. Synchronous and free of I/O and timers; it knows nothing of where events come
// from or go. Readers get `PoolView`, which has no way to change anything.

import { evolve } from '../domain/evolve';
import type { FreeLimits } from '../domain/free-pacer';
import { initialState, isSelectable, withDefaults, type KeyState, type PoolState } from '../domain/pool-state';
import { WeightedIndex, type Random } from '../domain/weighted-index';
import type { NewEvent, StoredEvent } from '../events/types';
import { silentLog, type Log } from '../log';
import { FreeSelection } from './free-selection';
import { SeqTracker } from './seq-tracker';

export interface FoldStats { folded: number; foldErrors: number; eventsSinceSnapshot: number }

/** The pool as readers see it: the state, and picks from it. */
export interface PoolView {
  readonly state: PoolState;
  readonly index: WeightedIndex;
  readonly free: FreeSelection;
  readonly seqs: SeqTracker;
  pick(exclude?: readonly string[], free?: boolean): KeyState | null;
  earliestReturn(free: boolean): number | null;
}

export interface PoolFoldOptions {
  now: () => number;
  random: Random;
  log?: Log;
  freeLimits?: () => FreeLimits;
  stats?: FoldStats;
  /** Called when a key is found cooling until `until` (the cooldown timer wants the earliest). */
  cooling?: (until: number) => void;
}

export class PoolFold implements PoolView {
  private current: PoolState = initialState();
  private selection = new WeightedIndex();
  private tracked = new SeqTracker();
  /** The keys that may take a `:free` request now (paced per key, window and day). */
  readonly free: FreeSelection;
  readonly stats: FoldStats;
  /** Active keys with a cooldown end ahead: earliestReturn and the cooldown timer look only here. */
  private readonly cooling = new Set<string>();
  private readonly now: () => number;
  private readonly random: Random;
  private readonly log: Log;
  private readonly onCooling: (until: number) => void;

  constructor(o: PoolFoldOptions) {
    this.now = o.now;
    this.random = o.random;
    this.log = o.log ?? silentLog;
    this.free = new FreeSelection(o.freeLimits);
    this.stats = o.stats ?? { folded: 0, foldErrors: 0, eventsSinceSnapshot: 0 };
    this.onCooling = o.cooling ?? noop;
  }

  get state(): PoolState { return this.current; }
  get index(): WeightedIndex { return this.selection; }
  get seqs(): SeqTracker { return this.tracked; }

  /** Starts over from a snapshot's state and seqs (or the empty pool) and indexes every key. */
  reset(state: PoolState = initialState(), seqs = new SeqTracker()): void {
    for (const id in state.keys) withDefaults(state.keys[id]); // fields newer than the snapshot
    this.current = state;
    this.tracked = seqs;
    this.selection = new WeightedIndex(Math.max(16, Object.keys(state.keys).length));
    this.cooling.clear();
    for (const id of Object.keys(state.keys)) this.reindex(id);
    this.free.rebuild(state, this.now());
  }

  /** The free selection from the whole state (once the log is folded: its last free attempts are known). */
  rebuildFree(): void { this.free.rebuild(this.current, this.now()); }

  /** Folds one event. Never throws: an event that cannot be folded is logged, counted and skipped. */
  fold(event: NewEvent | StoredEvent): boolean {
    try {
      this.current = evolve(this.current, event);
      this.stats.folded++;
      this.stats.eventsSinceSnapshot++;
      if (event.key_id) this.reindex(event.key_id);
      else if (event.type === 'SettingsChanged') this.free.settingsChanged(this.current, this.now());
      return true;
    } catch (err) {
      this.stats.foldErrors++;
      this.log.error({ err, type: event.type }, 'event could not be folded');
      return false;
    }
  }

  /** Replaces one key's state (a replica setting it to the log order plus what is not settled). */
  replaceKey(id: string, key: KeyState | null): void {
    if (key) this.current.keys[id] = withDefaults(key); else delete this.current.keys[id];
    this.reindex(id);
  }

  /** Replaces the pool-wide part of the state (a replica, like replaceKey). */
  replaceGlobals(g: Pick<PoolState, 'everAdded' | 'settings' | 'secretsVersion' | 'totals'>): void {
    const s = this.current;
    const settingsChanged = !sameSettings(s.settings, g.settings);
    s.everAdded = g.everAdded;
    s.secretsVersion = g.secretsVersion;
    s.totals = g.totals;
    s.settings = g.settings;
    if (settingsChanged) this.free.settingsChanged(s, this.now());
  }

  /**
   * Picks an available key by weight, never one already tried by this request. For a `:free` model
   * only a key with room in its free window and day, and the attempt is counted against it.
   */
  pick(exclude?: readonly string[], free = false): KeyState | null {
    if (free) return this.free.pick(this.current, this.random, this.now(), exclude);
    const id = this.selection.pick(this.random, exclude);
    return id === null ? null : this.current.keys[id] ?? null;
  }

  /** When the earliest key that is out for now returns, for free or paid requests (null: none will by itself). */
  earliestReturn(free: boolean): number | null {
    const now = this.now();
    let at = this.earliestCoolEnd(now);
    if (free) {
      const back = this.free.earliest(this.current, now);
      if (back !== null) at = Math.min(at, back);
    }
    return at === Infinity ? null : at;
  }

  /** The earliest cooldown end after `since` (Infinity: no key is cooling). */
  earliestCoolEnd(since = -Infinity): number {
    let at = Infinity;
    for (const id of this.cooling) {
      const until = this.current.keys[id]?.coolUntil;
      if (until != null && until > since && until < at) at = until;
    }
    return at;
  }

  /** Takes the keys whose cooldown is over at `now` out of the cooling set and returns them. */
  cooledDown(now: number): KeyState[] {
    const over: KeyState[] = [];
    for (const id of [...this.cooling]) {
      const key = this.current.keys[id];
      if (key && key.coolUntil !== null && key.coolUntil > now) continue;
      this.cooling.delete(id);
      if (key) over.push(key);
    }
    return over;
  }

  /** Puts one key where it belongs in the indexes, after its state changed (or time passed). */
  reindex(id: string): void {
    const key = this.current.keys[id];
    if (!key) { this.selection.delete(id); this.cooling.delete(id); this.free.reindex(id, undefined, 0); return; }
    const now = this.now();
    this.selection.set(id, isSelectable(key, now) ? key.weight : 0);
    this.free.reindex(id, key, now);
    if (key.active && key.coolUntil !== null && key.coolUntil > now) {
      this.cooling.add(id);
      this.onCooling(key.coolUntil);
    } else {
      this.cooling.delete(id);
    }
  }
}

function noop(): void {}

function sameSettings(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.is(a[k], b[k]) || JSON.stringify(a[k]) === JSON.stringify(b[k]));
}
