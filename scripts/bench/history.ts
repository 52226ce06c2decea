// A realistic event history for the start-up benchmark: every key added first, then mostly coalesced
// KeyUsed, some failures, cooldowns and reactivations, in the proportions a busy pool produces.
// Deterministic (seeded), generated in chunks so a million events never sit in memory at once.

import { createHash } from 'node:crypto';
import { seededRandom } from '../../src/domain/weighted-index';
import type { FailureClass, NewEvent } from '../../src/events/types';

export const benchKeyId = (i: number): string => createHash('sha256').update(`bench-key-${i}`).digest('hex').slice(0, 16);

export interface HistoryOptions {
  keys: number; events: number; seed?: number; startAt?: number;
  /** The keys exist already (events appended after a snapshot): no KeyAdded prefix. */
  keysExist?: boolean;
}

const CLASSES: FailureClass[] = ['transient', 'transient', 'rate_limit', 'quota', 'credential'];

/** Yields the history in chunks of `chunk` events; the first `keys` events add the keys. */
export function* history(o: HistoryOptions, chunk = 20_000): Generator<NewEvent[]> {
  const random = seededRandom(o.seed ?? 42);
  const ids = Array.from({ length: o.keys }, (_, i) => benchKeyId(i));
  // Spread the history over the 30 days before now: cooldowns it contains are over at start-up.
  const start = o.startAt ?? Date.now() - 30 * 86_400_000;
  const step = (30 * 86_400_000) / Math.max(1, o.events);
  let out: NewEvent[] = [];
  for (let n = 0; n < o.events; n++) {
    const at = Math.round(start + n * step);
    out.push(n < o.keys && !o.keysExist ? added(ids[n], at, 1 + Math.floor(random() * 10)) : next(ids[Math.floor(random() * ids.length)], at, random()));
    if (out.length === chunk) { yield out; out = []; }
  }
  if (out.length) yield out;
}

function added(id: string, at: number, weight: number): NewEvent {
  return { type: 'KeyAdded', at, key_id: id, actor: 'admin', data: { weight, masked: `sk-or-v1-${id.slice(0, 2)}…${id.slice(-4)}`, suffix: id.slice(-4) } };
}

/** 90% used, 5% failed, 2.5% cooled, 2.5% reactivated. */
function next(id: string, at: number, r: number): NewEvent {
  if (r < 0.9) {
    const count = 1 + Math.floor(r * 40);
    const prompt = count * 120;
    const completion = count * 300;
    return { type: 'KeyUsed', at, key_id: id, actor: 'proxy', data: { count, prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, last_used_at: at } };
  }
  if (r < 0.95) {
    const cls = CLASSES[Math.floor(((r - 0.9) / 0.05) * CLASSES.length)];
    return { type: 'KeyFailed', at, key_id: id, actor: 'proxy', data: { class: cls, status: cls === 'transient' ? 503 : 429, reason: 'upstream said no (bench)', consecutive: 1 } };
  }
  if (r < 0.975) return { type: 'KeyCooled', at, key_id: id, actor: 'proxy', data: { until: at + 60_000, seconds: 60 } };
  return { type: 'KeyReactivated', at, key_id: id, actor: r < 0.99 ? 'system' : 'probe', data: { by: r < 0.99 ? 'cooldown' : 'probe' } };
}
