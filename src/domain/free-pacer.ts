// Pacing of `:free` requests (DESIGN.md "Pace, don't burn"): OpenRouter counts every attempt, refused
// ones too, against a key's free window and its daily free quota, so the pool counts its own
// attempts per key and does not send one that the key's window or day has no room for.
// Pure: the caller passes the time; nothing here reads a clock.

import { DAY_MS, utcDay } from './pool-state';

export interface FreeLimits {
  perWindow: number;
  windowMs: number;
  perDay: number;
}

interface Slot {
  /** Send times inside the current sliding window, oldest first. */
  times: number[];
  day: number;
  dayCount: number;
  /** After a restart the window's history is unknown: a recently used key waits until this. */
  blockedUntil: number;
}

export class FreePacer {
  private readonly slots = new Map<string, Slot>();

  /** Counts one `:free` attempt sent with key `id` at `now`. */
  note(id: string, now: number): void {
    this.count(this.slot(id), now);
  }

  /** Counts an attempt and answers when the key may take the next one (`nextAt`), in one lookup. */
  noteAndNext(id: string, now: number, limits: FreeLimits, logDayCount: number): number {
    const s = this.slot(id);
    this.count(s, now);
    return this.next(s, now, limits, logDayCount);
  }

  /**
   * When key `id` may take its next `:free` attempt (≤ now: at once). A sliding window is stricter
   * than any fixed window of the same length, so keeping to it never trips OpenRouter's count.
   * `logDayCount` is what the event log counted today (other replicas included).
   */
  nextAt(id: string, now: number, limits: FreeLimits, logDayCount: number): number {
    return this.next(this.slots.get(id), now, limits, logDayCount);
  }

  private next(s: Slot | undefined, now: number, limits: FreeLimits, logDayCount: number): number {
    let at = now;
    let mine = 0;
    if (s) {
      if (s.blockedUntil > at) at = s.blockedUntil;
      prune(s, now, limits.windowMs);
      if (s.times.length >= limits.perWindow) {
        const leaving = s.times[s.times.length - limits.perWindow];
        at = Math.max(at, leaving + limits.windowMs);
      }
      if (s.day === utcDay(now)) mine = s.dayCount;
    }
    if (Math.max(mine, logDayCount) >= limits.perDay) at = Math.max(at, (utcDay(now) + 1) * DAY_MS);
    return at;
  }

  private count(s: Slot, now: number): void {
    s.times.push(now);
    const day = utcDay(now);
    if (day !== s.day) { s.day = day; s.dayCount = 0; }
    s.dayCount++;
  }

  /** Attempts key `id` may still take in the current window (0 when blocked or out for the day). */
  remaining(id: string, now: number, limits: FreeLimits, logDayCount: number): number {
    if (this.nextAt(id, now, limits, logDayCount) > now) return 0;
    const inWindow = this.slots.get(id)?.times.length ?? 0;
    const today = limits.perDay - this.dayCount(id, now, logDayCount);
    return Math.max(0, Math.min(limits.perWindow - inWindow, today));
  }

  dayCount(id: string, now: number, logDayCount: number): number {
    const s = this.slots.get(id);
    const mine = s && s.day === utcDay(now) ? s.dayCount : 0;
    return Math.max(mine, logDayCount); // the log also holds this process's finished attempts
  }

  /** After a restart: a key last active at `at` may have a full window; it rests until that window is over. */
  seedRecent(id: string, at: number, windowMs: number): void {
    const s = this.slot(id);
    s.blockedUntil = Math.max(s.blockedUntil, at + windowMs);
  }

  forget(id: string): void { this.slots.delete(id); }

  private slot(id: string): Slot {
    let s = this.slots.get(id);
    if (!s) { s = { times: [], day: 0, dayCount: 0, blockedUntil: 0 }; this.slots.set(id, s); }
    return s;
  }
}

function prune(s: Slot, now: number, windowMs: number): void {
  if (s.times.length === 0 || s.times[0] > now - windowMs) return;
  let drop = 0;
  while (drop < s.times.length && s.times[drop] <= now - windowMs) drop++;
  if (drop) s.times.splice(0, drop);
}
