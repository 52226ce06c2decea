// Builders for whole events, for Given/When/Then tests.
import type { NewEvent } from '../../src/events/types';

export const T0 = Date.UTC(2026, 0, 1);

export const ev = {
  added: (id: string, weight = 1, at = T0): NewEvent => ({ type: 'KeyAdded', at, key_id: id, actor: 'admin', data: { weight, masked: `sk-…${id.slice(-4)}`, suffix: id.slice(-4) } }),
  used: (id: string, count = 1, at = T0, tokens = 0): NewEvent => ({ type: 'KeyUsed', at, key_id: id, actor: 'proxy', data: { count, prompt_tokens: tokens, completion_tokens: 0, total_tokens: tokens, last_used_at: at } }),
  failed: (id: string, cls: 'credential' | 'quota' | 'rate_limit' | 'transient', at = T0, status: number | null = 429): NewEvent => ({ type: 'KeyFailed', at, key_id: id, actor: 'proxy', data: { class: cls, status, reason: `upstream ${status}`, consecutive: 0 } }),
  cooled: (id: string, until: number, at = T0): NewEvent => ({ type: 'KeyCooled', at, key_id: id, actor: 'proxy', data: { until, seconds: Math.round((until - at) / 1000) } }),
  deactivated: (id: string, at = T0): NewEvent => ({ type: 'KeyDeactivated', at, key_id: id, actor: 'proxy', data: { reason: 'test' } }),
  reactivated: (id: string, by: 'probe' | 'cooldown' | 'admin', at = T0): NewEvent => ({ type: 'KeyReactivated', at, key_id: id, actor: 'probe', data: { by } }),
  weight: (id: string, weight: number, previous = 1, at = T0): NewEvent => ({ type: 'KeyWeightChanged', at, key_id: id, actor: 'admin', data: { weight, previous } }),
  deleted: (id: string, at = T0): NewEvent => ({ type: 'KeyDeleted', at, key_id: id, actor: 'admin', data: { masked: 'x' } }),
  probed: (id: string, ok: boolean, at = T0): NewEvent => ({ type: 'KeyProbed', at, key_id: id, actor: 'probe', data: { ok, status: ok ? 200 : 401, detail: '' } }),
  settings: (changes: Record<string, unknown>, at = T0): NewEvent => ({ type: 'SettingsChanged', at, key_id: null, actor: 'admin', data: { changes } }),
  login: (ok: boolean, at = T0): NewEvent => ({ type: ok ? 'AdminLoginSucceeded' : 'AdminLoginFailed', at, key_id: null, actor: 'admin', data: { client: '127.0.0.1' } }),
};

/** A long, varied history over `keys` keys, deterministic for a seed. */
export function randomHistory(keys: number, length: number, random: () => number): NewEvent[] {
  const out: NewEvent[] = [];
  const ids = Array.from({ length: keys }, (_, i) => `k${String(i).padStart(4, '0')}`);
  for (const id of ids) out.push(ev.added(id, 1 + Math.floor(random() * 5)));
  let at = T0;
  while (out.length < length) {
    at += 1000;
    const id = ids[Math.floor(random() * ids.length)];
    const r = random();
    if (r < 0.55) out.push(ev.used(id, 1 + Math.floor(random() * 3), at, Math.floor(random() * 100)));
    else if (r < 0.7) out.push(ev.failed(id, (['credential', 'quota', 'rate_limit', 'transient'] as const)[Math.floor(random() * 4)], at));
    else if (r < 0.78) out.push(ev.cooled(id, at + 60_000, at));
    else if (r < 0.84) out.push(ev.deactivated(id, at));
    else if (r < 0.9) out.push(ev.reactivated(id, (['probe', 'cooldown', 'admin'] as const)[Math.floor(random() * 3)], at));
    else if (r < 0.95) out.push(ev.weight(id, 1 + Math.floor(random() * 10), 1, at));
    else if (r < 0.97) out.push(ev.probed(id, random() < 0.5, at));
    else if (r < 0.985) out.push(ev.deleted(id, at));
    else out.push(ev.added(id, 2, at));
  }
  return out;
}
