// WAIT_FOR_KEY_MS: a request no key can serve now, when one returns soon, waits for it instead of
// being refused. Waits are bounded in time (the setting, counted on the process clock) and in number
// (MAX_WAITING at once per process), so a burst cannot pile up unbounded timers and sockets.

import type { Runtime } from '../runtime';

export const MAX_WAITING = 1000;
let waiting = 0;

export interface KeyWait { timer: NodeJS.Timeout; ms: number }

/** When the earliest key for this request's scope returns (ms since epoch, the projection's clock), or null. */
export function earliestKey(rt: Runtime, free: boolean): number | null {
  return rt.projection.earliestReturn(free);
}

/** Whole seconds until `at`, at least 1 (Retry-After), or null when no return time is known. */
export function retryAfterSeconds(at: number | null, now: number): number | null {
  if (at === null) return null;
  return Math.max(1, Math.ceil((at - now) / 1000));
}

/**
 * Starts a wait of at most the rest of WAIT_FOR_KEY_MS for the earliest key, calling `then` when it
 * is due; null when waiting is off, no key returns in time, or too many requests wait already.
 */
export function waitForKey(rt: Runtime, free: boolean, waitedMs: number, then: () => void): KeyWait | null {
  const budget = rt.settings.waitForKeyMs - waitedMs;
  if (budget <= 0 || waiting >= MAX_WAITING) return null;
  const at = earliestKey(rt, free);
  if (at === null) return null;
  const ms = Math.max(1, at - rt.projection.now() + 1);
  if (ms > budget) return null;
  waiting++;
  const timer = setTimeout(() => { waiting--; then(); }, ms);
  return { timer, ms };
}

export function cancelWait(w: KeyWait | null): void {
  if (!w) return;
  clearTimeout(w.timer);
  waiting--;
}

/** Requests waiting for a key on this process right now. */
export function waitingForKey(): number { return waiting; }
