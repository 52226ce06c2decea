// decide*(state, command or outcome) → events, for the key lifecycle (emmett's decider shape). Pure:
// the time and anything random come in from the edge; `evolve` folds what these return.

import type { Actor, KeyProbedData, NewEvent } from '../events/types';
import type { KeyState, PoolState } from './pool-state';

/** A key to add, as the edge parsed it: its id, weight and the only parts of the secret that are shown. */
export interface NewKey { id: string; weight: number; masked: string; suffix: string }

/** Adds the keys not in the pool yet, in the order given; the others are duplicates (nothing is written for them). */
export function decideAdd<K extends NewKey>(state: PoolState, keys: readonly K[], actor: Actor, now: number): { events: NewEvent[]; added: K[]; duplicates: K[] } {
  const events: NewEvent[] = [];
  const added: K[] = [];
  const duplicates: K[] = [];
  for (const k of keys) {
    if (state.keys[k.id]) { duplicates.push(k); continue; }
    added.push(k);
    events.push({ type: 'KeyAdded', at: now, key_id: k.id, actor, data: { weight: k.weight, masked: k.masked, suffix: k.suffix } });
  }
  return { events, added, duplicates };
}

/** Deletes each named key that exists, once, however often it is named. */
export function decideDelete(state: PoolState, ids: readonly string[], actor: Actor, now: number): NewEvent[] {
  return [...new Set(ids)].filter((id) => state.keys[id])
    .map((id) => ({ type: 'KeyDeleted', at: now, key_id: id, actor, data: { masked: state.keys[id].masked } }));
}

/** A new weight for a key that exists; the same weight changes nothing. */
export function decideWeight(state: PoolState, id: string, weight: number, actor: Actor, now: number): NewEvent[] {
  const key = state.keys[id];
  if (!key || key.weight === weight) return [];
  return [{ type: 'KeyWeightChanged', at: now, key_id: id, actor, data: { weight, previous: key.weight } }];
}

export interface UseInput {
  id: string; now: number; free: boolean;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
}

/** A successful attempt: one KeyUsed (the pending batch coalesces them per key). */
export function decideUse(i: UseInput): NewEvent[] {
  const u = i.usage;
  return [{
    type: 'KeyUsed', at: i.now, key_id: i.id, actor: 'proxy',
    data: {
      count: 1, prompt_tokens: u?.prompt_tokens ?? 0, completion_tokens: u?.completion_tokens ?? 0,
      total_tokens: u?.total_tokens ?? 0, last_used_at: i.now, ...(i.free ? { free: 1 } : {}),
    },
  }];
}

/** The cooldown timer fired: a key whose cooldown is over gets its cooldown ended (an inactive one stays inactive). */
export function decideCooldownEnd(key: KeyState | undefined, now: number): NewEvent[] {
  if (!key || key.coolUntil === null || key.coolUntil > now) return [];
  return [{ type: 'KeyReactivated', at: now, key_id: key.id, actor: 'system', data: { by: 'cooldown' } }];
}

export interface ProbeDecision { events: NewEvent[]; reactivated: boolean; deactivated: boolean }

/**
 * What a GET /key probe result does. A passing probe brings back an inactive key and, when an admin
 * asked ("Check now"), ends a cooldown too; it never brings back a key an admin disabled. A 401
 * deactivates a key that still serves.
 */
export function decideProbeResult(key: KeyState, seen: KeyProbedData, now: number, askedByAdmin: boolean): ProbeDecision {
  const id = key.id;
  const events: NewEvent[] = [{ type: 'KeyProbed', at: now, key_id: id, actor: 'probe', data: seen }];
  const cooling = key.coolUntil !== null && key.coolUntil > now;
  const reactivated = seen.ok && !key.disabled && (!key.active || (askedByAdmin && cooling));
  const deactivated = seen.status === 401 && key.active;
  if (reactivated) events.push({ type: 'KeyReactivated', at: now, key_id: id, actor: 'probe', data: { by: 'probe' } });
  if (deactivated) events.push({ type: 'KeyDeactivated', at: now, key_id: id, actor: 'probe', data: { reason: `health check: ${seen.detail}` } });
  return { events, reactivated, deactivated };
}

/**
 * An admin's Activate or Deactivate. Activate brings back an inactive, disabled or cooling key (the
 * free-model rest included); Deactivate disables it: no probe brings it back, only Activate.
 */
export function decideSetActive(state: PoolState, id: string, active: boolean, actor: Actor, now: number, reason = 'deactivated by the admin'): NewEvent[] {
  const key = state.keys[id];
  if (!key) return [];
  if (active) {
    const out = !key.active || key.disabled || key.coolUntil !== null || (key.freeCoolUntil !== null && key.freeCoolUntil > now);
    return out ? [{ type: 'KeyReactivated', at: now, key_id: id, actor, data: { by: 'admin' } }] : [];
  }
  if (key.active || (actor === 'admin' && !key.disabled)) return [{ type: 'KeyDeactivated', at: now, key_id: id, actor, data: { reason } }];
  return [];
}
