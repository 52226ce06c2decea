// evolve(state, event): the one place where events change the pool. Deterministic: no clock, no I/O.
// It updates the state it is given in place and returns it (a copy per event would cost O(keys)),
// and it never throws: an event that does not fit the state is ignored.

import type { NewEvent } from '../events/types';
import { utcDay, type KeyState, type PoolState } from './pool-state';

export function evolve(state: PoolState, event: NewEvent): PoolState {
  const key = event.key_id !== null ? state.keys[event.key_id] : undefined;
  switch (event.type) {
    case 'KeyAdded': {
      if (key || event.key_id === null) return state;
      state.keys[event.key_id] = newKey(event.key_id, event.data.weight, event.data.masked, event.data.suffix, event.at);
      state.everAdded++;
      state.names[event.key_id] = event.data.masked;
      return state;
    }
    case 'KeyUsed': {
      const d = event.data;
      state.totals.requests += d.count;
      state.totals.tokens += d.total_tokens;
      if (!key) return state;
      key.totalRequests += d.count;
      key.promptTokens += d.prompt_tokens;
      key.completionTokens += d.completion_tokens;
      key.totalTokens += d.total_tokens;
      key.lastUsedAt = Math.max(key.lastUsedAt ?? 0, d.last_used_at);
      key.consecutiveFailures = 0;
      if (d.free) countFree(key, d.free, d.last_free_at ?? event.at);
      return state;
    }
    case 'KeyFailed': {
      const count = event.data.count ?? 1;
      state.totals.requests += count;
      state.totals.failures += count;
      if (!key) return state;
      key.totalRequests += count;
      key.totalFailures += count;
      if (escalates(key, event.data.class, event.at, event.data.scope)) key.consecutiveFailures += 1;
      if (event.data.free) countFree(key, event.data.free, event.data.last_free_at ?? event.at);
      key.lastFailureAt = Math.max(key.lastFailureAt ?? 0, event.at);
      key.lastFailureClass = event.data.class;
      key.lastError = event.data.reason;
      return state;
    }
    case 'KeyCooled':
      if (key) key.coolUntil = Math.max(key.coolUntil ?? 0, validTime(event.data.until));
      return state;
    case 'KeyFreeCooled': {
      if (!key) return state;
      const d = event.data;
      key.freeCoolUntil = Math.max(key.freeCoolUntil ?? 0, validTime(d.until));
      key.freeStrikes = d.strikes;
      if (d.limit !== null && d.limit > 0) {
        if (d.window === 'minute') key.freeLimitWindow = d.limit; else key.freeLimitDay = d.limit;
      }
      return state;
    }
    case 'KeyDeactivated':
      if (!key) return state;
      key.active = false;
      // An admin's Deactivate is a decision, not a failure: no probe may undo it.
      if (event.actor === 'admin') key.disabled = true;
      return state;
    case 'KeyReactivated':
      if (!key) return state;
      if (event.data.by === 'cooldown') {
        // Only the cooldown ends; a key deactivated meanwhile stays inactive.
        key.coolUntil = null;
        return state;
      }
      if (event.data.by === 'probe' && key.disabled) return state; // only an admin brings a disabled key back
      key.active = true;
      key.coolUntil = null;
      key.consecutiveFailures = 0;
      if (event.data.by === 'admin') {
        key.disabled = false;
        key.freeCoolUntil = null;
        key.freeStrikes = 0;
      }
      return state;
    case 'KeyWeightChanged':
      if (key) key.weight = event.data.weight;
      return state;
    case 'KeyDeleted':
      if (key && event.key_id !== null) delete state.keys[event.key_id];
      return state;
    case 'SettingsChanged': {
      for (const [name, value] of Object.entries(event.data.changes)) {
        if (value === SECRET_CHANGED && SECRET_SETTINGS.includes(name)) state.secretsVersion++;
        else state.settings[name] = value;
      }
      return state;
    }
    case 'KeyProbed':
    case 'AdminLoginSucceeded':
    case 'AdminLoginFailed':
    case 'AdminLoggedOut':
    case 'AdminKeyAccessed':
      return state;
    default: {
      const unknown: never = event; // exhaustive: a new event type must be handled above
      void unknown;
      return state;
    }
  }
}

/** The value a SettingsChanged event carries in place of a secret. */
export const SECRET_CHANGED = '[changed]';
/** The settings whose values never reach an event (a plain setting may still hold "[changed]"). */
const SECRET_SETTINGS: readonly string[] = ['app_api_key', 'admin_password'];

/** Transient outages are not the key's fault: counted, but they never push a key towards inactive. */
export function countsTowardDeactivation(failureClass: string): boolean {
  return failureClass === 'credential' || failureClass === 'quota' || failureClass === 'rate_limit';
}

/**
 * Whether a failure adds to the key's consecutive failures. One that lands while the key is already
 * cooling was sent before the cooldown began (concurrent requests): it is the same episode, so it
 * must not escalate the cooldown or push the key to inactive.
 */
export function escalates(key: { coolUntil: number | null }, failureClass: string, at: number, scope?: string): boolean {
  if (scope === 'free' || scope === 'model') return false; // a free-tier or a model's limit is not the key's failure
  return countsTowardDeactivation(failureClass) && !(key.coolUntil !== null && key.coolUntil > at);
}

/**
 * The latest time a Date can hold. Logs written before floors were capped can hold a cooldown of 10^23
 * ms (a Retry-After of 10^20 s): folded as is, it broke every date shown for that key.
 */
export const MAX_TIME_MS = 8.64e15;
const validTime = (ms: number): number => (Number.isFinite(ms) ? Math.min(ms, MAX_TIME_MS) : MAX_TIME_MS);

/** The key's `:free` requests on the UTC day of `at` (a new day starts from zero). */
function countFree(key: KeyState, n: number, at: number): void {
  key.lastFreeAt = Math.max(key.lastFreeAt ?? 0, at);
  const day = utcDay(at);
  if (day > key.freeDay) { key.freeDay = day; key.freeDayCount = 0; }
  if (day === key.freeDay) key.freeDayCount += n;
}

function newKey(id: string, weight: number, masked: string, suffix: string, at: number): KeyState {
  return {
    id, masked, suffix, weight, active: true, disabled: false, coolUntil: null, consecutiveFailures: 0,
    freeCoolUntil: null, freeStrikes: 0, freeLimitWindow: null, freeLimitDay: null, freeDay: 0, freeDayCount: 0, lastFreeAt: null,
    totalRequests: 0, totalFailures: 0, promptTokens: 0, completionTokens: 0, totalTokens: 0,
    lastUsedAt: null, lastFailureAt: null, lastFailureClass: null, lastError: null, addedAt: at,
  };
}
