// Which keys may take a `:free` request now: a second weighted index beside the projection's, holding
// the selectable keys whose free cooldown is over and whose free window and day have room (the pacer).
// A key that fills up leaves the index and goes on a heap with the time it comes back; the heap is
// drained at the next free pick, so nothing here needs a timer and a pick stays O(log n).

import { FreePacer, type FreeLimits } from '../domain/free-pacer';
import { DAY_MS, isFreeSelectable, utcDay, type KeyState, type PoolState } from '../domain/pool-state';
import { TimeHeap } from '../domain/time-heap';
import { WeightedIndex, type Random } from '../domain/weighted-index';

export const DEFAULT_FREE_LIMITS: FreeLimits = { perWindow: 20, windowMs: 60_000, perDay: 50 };

export class FreeSelection {
  index = new WeightedIndex();
  readonly pacer = new FreePacer();
  private heap = new TimeHeap();
  /** The time each key out of the index is expected back (heap entries that differ are stale). */
  private readonly back = new Map<string, number>();

  /** The settings' limits, read once per settings change rather than on every fold. */
  private cached: FreeLimits | null = null;

  constructor(private readonly settings: () => FreeLimits = () => DEFAULT_FREE_LIMITS) {}

  private defaults(): FreeLimits { return (this.cached ??= this.settings()); }

  limitsOf(key: KeyState): FreeLimits {
    const d = this.defaults();
    if (key.freeLimitWindow === null && key.freeLimitDay === null) return d;
    return { perWindow: key.freeLimitWindow ?? d.perWindow, windowMs: d.windowMs, perDay: key.freeLimitDay ?? d.perDay };
  }

  /** The free limits may have changed: every key is looked at again (the counts are kept). */
  settingsChanged(state: PoolState, now: number): void {
    this.cached = null;
    for (const id in state.keys) this.reindex(id, state.keys[id], now);
  }

  /**
   * Rebuilds from the folded state. The per-window counts lived in memory: a key that sent a `:free`
   * request within the last window is taken to have filled it, and rests until that window is over.
   */
  rebuild(state: PoolState, now: number): void {
    this.index = new WeightedIndex(Math.max(16, Object.keys(state.keys).length));
    this.heap = new TimeHeap();
    this.back.clear();
    const windowMs = this.defaults().windowMs;
    for (const id in state.keys) {
      const k = state.keys[id];
      const last = k.lastFreeAt ?? 0;
      if (last > now - windowMs) this.pacer.seedRecent(id, last, windowMs);
      this.reindex(id, k, now);
    }
  }

  reindex(id: string, key: KeyState | undefined, now: number): void {
    if (!key) { this.index.delete(id); this.back.delete(id); this.pacer.forget(id); return; }
    if (!isFreeSelectable(key, now)) {
      this.index.set(id, 0);
      // A key that only rests for free models (or only cools) comes back by itself: be told when.
      const until = Math.max(key.freeCoolUntil ?? 0, key.active && !key.disabled ? key.coolUntil ?? 0 : 0);
      if (until > now) this.expect(id, until); else this.back.delete(id);
      return;
    }
    const next = this.pacer.nextAt(id, now, this.limitsOf(key), this.logDayCount(key, now));
    if (next > now) { this.index.set(id, 0); this.expect(id, next); return; }
    this.back.delete(id);
    this.index.set(id, key.weight);
  }

  /** Picks a key for a `:free` request and counts the attempt against it. */
  pick(state: PoolState, random: Random, now: number, exclude?: readonly string[]): KeyState | null {
    this.drain(state, now);
    const id = this.index.pick(random, exclude);
    const key = id === null ? undefined : state.keys[id];
    if (!key || id === null) return null;
    // The key was free-selectable a moment ago; only its own count can have changed.
    const next = this.pacer.noteAndNext(id, now, this.limitsOf(key), this.logDayCount(key, now));
    if (next > now) { this.index.set(id, 0); this.expect(id, next); }
    return key;
  }

  /**
   * Until when a key is out of `:free` requests as the log says (its free rest, or its day's quota spent),
   * or null. The per-window pacing is left out: it lives in each process's memory, and every replica
   * must show the same row.
   */
  outUntil(key: KeyState, now: number): number | null {
    let until = key.freeCoolUntil !== null && key.freeCoolUntil > now ? key.freeCoolUntil : 0;
    if (this.logDayCount(key, now) >= this.limitsOf(key).perDay) until = Math.max(until, (utcDay(now) + 1) * DAY_MS);
    return until > now ? until : null;
  }

  /** The earliest time a key is expected back for free requests, or null when none is. */
  earliest(state: PoolState, now: number): number | null {
    this.drain(state, now);
    return this.heap.peekAt();
  }

  /** Free requests the pool could take this minute, and keys out of free requests for today. */
  capacity(state: PoolState, now: number): { now: number; outToday: number } {
    let room = 0;
    let outToday = 0;
    const today = utcDay(now);
    for (const id in state.keys) {
      const k = state.keys[id];
      const limits = this.limitsOf(k);
      const day = this.logDayCount(k, now);
      if (k.freeCoolUntil !== null && k.freeCoolUntil > now && utcDay(k.freeCoolUntil - 1) > today) outToday++;
      else if (this.pacer.dayCount(id, now, day) >= limits.perDay) outToday++;
      if (isFreeSelectable(k, now)) room += this.pacer.remaining(id, now, limits, day);
    }
    return { now: room, outToday };
  }

  private logDayCount(key: KeyState, now: number): number {
    return key.freeDay === utcDay(now) ? key.freeDayCount : 0;
  }

  private expect(id: string, at: number): void {
    if (this.back.get(id) === at) return;
    this.back.set(id, at);
    this.heap.push(at, id);
  }

  /** Puts back every key whose expected time has come. */
  private drain(state: PoolState, now: number): void {
    for (;;) {
      const at = this.heap.peekAt();
      if (at === null) return;
      const top = this.heap.top()!;
      const stale = this.back.get(top) !== at;
      if (!stale && at > now) return;
      this.heap.pop();
      if (stale) continue;
      this.back.delete(top);
      this.reindex(top, state.keys[top], now);
    }
  }
}
