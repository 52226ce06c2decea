// What an upstream outcome means for the request and for the key (DESIGN.md, "Key lifecycle and
// limits"). Pure: the caller passes the time, the settings and the jitter.

import type { FailureClass, LimitScope, NewEvent } from '../events/types';
import { DAY_MS, utcDay, type KeyState } from './pool-state';
import { escalates } from './evolve';

export interface UpstreamFailure {
  status: number | null; // null: connect error, reset, timeout
  message: string; // upstream error message (already scrubbed of secrets)
  retryAfterSeconds: number | null;
  rateLimitResetMs: number | null; // X-RateLimit-Reset, ms since epoch
  rateLimitLimit?: number | null; // X-RateLimit-Limit: the limit that was hit
  providerName: string | null; // error.metadata.provider_name
  retryable: boolean | null; // error.availability.retryable when present
}

export interface PolicySettings {
  cooldownSeconds: number; // KEY_FAILURE_COOLDOWN_SECONDS
  maxCooldownSeconds: number;
  maxConsecutiveFailures: number;
}

/** A free-tier limit this soon after the previous one ended "came back right after": it escalates. */
export const RIGHT_AFTER_MS = 5_000;

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

/**
 * What a 429 takes out. A model's shared capacity or a provider's limit is nobody's key's fault; the
 * free tier's per-minute and per-day limits take the key out for `:free` models only; any other
 * limit naming its reset rests the key in the request's scope; one naming none, the whole key.
 */
export function limitScope(f: UpstreamFailure, free: boolean): LimitScope {
  if (f.status !== 429) return 'key';
  const msg = f.message.toLowerCase();
  if (f.providerName || msg.includes('limit_rpm/') || msg.includes('rate-limited upstream')) return 'model';
  if (msg.includes('free-models-per-')) return 'free';
  const namesReset = f.retryAfterSeconds !== null || f.rateLimitResetMs !== null;
  return namesReset && free ? 'free' : 'key';
}

/** base × 2^(n−1), capped; n is the count of consecutive failures including this one. */
export function dynamicCooldownSeconds(consecutive: number, s: PolicySettings): number {
  const n = Math.max(1, consecutive);
  const seconds = s.cooldownSeconds * 2 ** Math.min(n - 1, 30);
  return Math.min(seconds, s.maxCooldownSeconds);
}

export interface FailureInput {
  key: KeyState;
  cls: FailureClass;
  failure: UpstreamFailure;
  reason: string;
  settings: PolicySettings;
  now: number;
  /** The request was for a `:free` model. */
  free?: boolean;
  /** Added to a rest until a named reset, so the keys that hit one limit do not all return at once. */
  jitterMs?: number;
  actor?: 'proxy' | 'probe';
}

/** The events one failed attempt produces for its key. Caller faults produce none. */
export function decideFailure(i: FailureInput): NewEvent[] {
  const { key, cls, failure: f, reason, settings: s, now } = i;
  const actor = i.actor ?? 'proxy';
  if (cls === 'caller') return [];
  const limit = cls === 'rate_limit' || cls === 'quota';
  const scope = limit ? limitScope(f, i.free === true) : 'key';
  const counts = escalates(key, cls, now, scope);
  const consecutive = key.consecutiveFailures + (counts ? 1 : 0);
  const id = key.id;
  const failed: NewEvent = {
    type: 'KeyFailed', at: now, key_id: id, actor,
    data: { class: cls, status: f.status, reason, consecutive, ...(i.free ? { free: 1 } : {}), ...(limit ? { scope } : {}) },
  };
  const events: NewEvent[] = [failed];
  if (cls === 'transient' || scope === 'model') return events;
  if (scope === 'free') {
    const cooled = freeCooled(i, reason);
    if (cooled) events.push(cooled);
    return events;
  }
  if (cls === 'credential') {
    if (key.active) events.push({ type: 'KeyDeactivated', at: now, key_id: id, actor, data: { reason } });
    return events;
  }
  const floor = floorUntil(f, now, s.maxCooldownSeconds);
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
  // A limit that names its reset rests the key until then; the formula is for limits naming none,
  // or coming back right after one (the key had failed and not served since).
  const namesReset = floor > now && key.consecutiveFailures === 0;
  const until = namesReset ? floor + (i.jitterMs ?? 0) : Math.max(now + dynamicCooldownSeconds(consecutive, s) * 1000, floor);
  events.push(cooled(id, actor, Math.min(until, now + s.maxCooldownSeconds * 1000), now));
  return events;
}

/** @deprecated use decideFailure; kept for callers written against the first signature. */
export function failureEvents(
  key: KeyState, failureClass: FailureClass, f: UpstreamFailure, reason: string,
  s: PolicySettings, now: number, actor: 'proxy' | 'probe' = 'proxy',
): NewEvent[] {
  return decideFailure({ key, cls: failureClass, failure: f, reason, settings: s, now, actor });
}

/** The free-scope rest: until the reset OpenRouter named (or the end of its window or day), plus jitter. */
function freeCooled(i: FailureInput, reason: string): NewEvent | null {
  const { key, failure: f, settings: s, now } = i;
  const window = f.message.toLowerCase().includes('per-day') ? 'day' : 'minute';
  let reset = floorUntil(f, now, s.maxCooldownSeconds);
  if (reset <= now) reset = window === 'day' ? (utcDay(now) + 1) * DAY_MS : now + 60_000;
  const rightAfter = key.freeCoolUntil !== null && key.freeCoolUntil <= now && now - key.freeCoolUntil < RIGHT_AFTER_MS;
  const strikes = rightAfter ? key.freeStrikes + 1 : 0;
  let until = reset + (i.jitterMs ?? 0);
  if (strikes > 0) until = Math.max(until, now + dynamicCooldownSeconds(strikes, s) * 1000);
  until = Math.min(Math.ceil(until), now + s.maxCooldownSeconds * 1000);
  if (key.freeCoolUntil !== null && key.freeCoolUntil >= until) return null; // a concurrent attempt already rested it
  const limit = typeof f.rateLimitLimit === 'number' && f.rateLimitLimit > 0 ? f.rateLimitLimit : null;
  return {
    type: 'KeyFreeCooled', at: now, key_id: key.id, actor: i.actor ?? 'proxy',
    data: { until, seconds: Math.round((until - now) / 1000), window, limit, strikes, reason },
  };
}

/**
 * Retry-After and X-RateLimit-Reset are floors: the key is not used before either has passed. Every
 * floor is capped (a Retry-After of 10^20 must not cool a key for ever nor break a date).
 */
export function floorUntil(f: UpstreamFailure, now: number, maxSeconds = 86_400 * 30): number {
  let floor = 0;
  if (f.retryAfterSeconds !== null) floor = now + f.retryAfterSeconds * 1000;
  if (f.rateLimitResetMs !== null && f.rateLimitResetMs > floor) floor = f.rateLimitResetMs;
  if (!(floor > 0)) return 0;
  return Math.ceil(Math.min(floor, now + maxSeconds * 1000));
}

function cooled(id: string, actor: 'proxy' | 'probe', until: number, now: number): NewEvent {
  return { type: 'KeyCooled', at: now, key_id: id, actor, data: { until, seconds: Math.round((until - now) / 1000) } };
}
