// What an upstream outcome means for the request and for the key (DESIGN.md, "Key lifecycle").
// Pure: the caller passes the time and the settings.

import type { FailureClass, NewEvent } from '../events/types';
import type { KeyState } from './pool-state';
import { escalates } from './evolve';

export interface UpstreamFailure {
  status: number | null; // null: connect error, reset, timeout
  message: string; // upstream error message (already scrubbed of secrets)
  retryAfterSeconds: number | null;
  rateLimitResetMs: number | null; // X-RateLimit-Reset, ms since epoch
  providerName: string | null; // error.metadata.provider_name
  retryable: boolean | null; // error.availability.retryable when present
}

export interface PolicySettings {
  cooldownSeconds: number; // KEY_FAILURE_COOLDOWN_SECONDS
  maxCooldownSeconds: number;
  maxConsecutiveFailures: number;
}

export function classify(f: UpstreamFailure): FailureClass {
  const s = f.status;
  const msg = f.message.toLowerCase();
  if (s === null) return 'transient';
  // A provider's own 401 (e.g. a BYOK provider key) is passed through with its name: not about our key.
  if (s === 401) return f.providerName ? 'transient' : 'credential';
  if (s === 402) return 'quota';
  if (s === 403) {
    if (msg.includes('key limit exceeded') || msg.includes('only management keys')) return 'credential';
    return 'caller';
  }
  if (s === 429) {
    if (f.providerName) return 'transient'; // an upstream provider's limit, not the key's
    if (msg.includes('free-models-per-day')) return 'quota';
    return 'rate_limit';
  }
  if (s === 400 || s === 404 || s === 413 || s === 422) return f.retryable === true ? 'transient' : 'caller';
  if (s === 408 || s >= 500) return f.retryable === false ? 'caller' : 'transient';
  return s >= 400 ? 'caller' : 'transient';
}

/** base × 2^(n−1), capped; n is the count of consecutive failures including this one. */
export function dynamicCooldownSeconds(consecutive: number, s: PolicySettings): number {
  const n = Math.max(1, consecutive);
  const seconds = s.cooldownSeconds * 2 ** Math.min(n - 1, 30);
  return Math.min(seconds, s.maxCooldownSeconds);
}

/** The events one failed attempt produces for its key. Caller faults produce none. */
export function failureEvents(
  key: KeyState, failureClass: FailureClass, f: UpstreamFailure, reason: string,
  s: PolicySettings, now: number, actor: 'proxy' | 'probe' = 'proxy',
): NewEvent[] {
  if (failureClass === 'caller') return [];
  const counts = escalates(key, failureClass, now);
  const consecutive = key.consecutiveFailures + (counts ? 1 : 0);
  const id = key.id;
  const events: NewEvent[] = [{
    type: 'KeyFailed', at: now, key_id: id, actor,
    data: { class: failureClass, status: f.status, reason, consecutive },
  }];
  if (failureClass === 'transient') return events;
  if (failureClass === 'credential') {
    if (key.active) events.push({ type: 'KeyDeactivated', at: now, key_id: id, actor, data: { reason } });
    return events;
  }
  const floor = floorUntil(f, now);
  if (!counts) {
    // Already cooling (a concurrent request's failure): only a later floor from the upstream extends it.
    if (key.active && key.coolUntil !== null && floor > key.coolUntil) events.push(cooled(id, actor, floor, now));
    return events;
  }
  if (consecutive >= s.maxConsecutiveFailures) {
    if (key.active) {
      events.push({
        type: 'KeyDeactivated', at: now, key_id: id, actor,
        data: { reason: `${consecutive} consecutive failures; last: ${reason}` },
      });
    }
    return events;
  }
  const dynamic = now + dynamicCooldownSeconds(consecutive, s) * 1000;
  // A quota names its own reset (e.g. the next UTC midnight): cool until then, not by the formula.
  const namesReset = failureClass === 'quota' && f.rateLimitResetMs !== null && f.rateLimitResetMs > now;
  const until = namesReset ? floor : Math.max(dynamic, floor);
  events.push(cooled(id, actor, until, now));
  return events;
}

/** Retry-After and X-RateLimit-Reset are floors: the key is not used before either has passed. */
export function floorUntil(f: UpstreamFailure, now: number): number {
  let floor = 0;
  if (f.retryAfterSeconds !== null) floor = now + f.retryAfterSeconds * 1000;
  if (f.rateLimitResetMs !== null && f.rateLimitResetMs > floor) floor = f.rateLimitResetMs;
  return Math.ceil(floor);
}

function cooled(id: string, actor: 'proxy' | 'probe', until: number, now: number): NewEvent {
  return { type: 'KeyCooled', at: now, key_id: id, actor, data: { until, seconds: Math.round((until - now) / 1000) } };
}
