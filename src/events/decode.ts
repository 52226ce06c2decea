// Turns a stored row back into an event, checking it before it may enter the fold.
// A row that does not decode is reported and skipped, never folded half-understood.
// Rows written by older versions are first brought to today's shape by an upcaster (upcast.ts);
// then every event type's payload is checked field by field (the switch below is exhaustive).

import { EVENT_TYPES, type EventType, type StoredEvent } from './types';
import { upcast } from './upcast';

export interface EventRowData {
  seq: number | string; at: number | string; type: string; key_id: string | null;
  actor: string; origin: string; data: string;
}

const KNOWN = new Set<string>(EVENT_TYPES);
const ACTORS = new Set(['admin', 'proxy', 'probe', 'system', 'seed']);

export type Decoded = { ok: true; event: StoredEvent } | { ok: false; seq: number; error: string };

export function decodeEvent(row: EventRowData): Decoded {
  const seq = Number(row.seq);
  if (!KNOWN.has(row.type)) return { ok: false, seq, error: `unknown event type ${row.type}` };
  const type = row.type as EventType;
  let data: unknown;
  try { data = JSON.parse(row.data); } catch { return { ok: false, seq, error: 'data is not JSON' }; }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return { ok: false, seq, error: 'data is not an object' };
  if (!ACTORS.has(row.actor)) return { ok: false, seq, error: `${type}: unknown actor ${row.actor}` };
  const rule = keyRule(type);
  const hasKey = row.key_id !== null && row.key_id !== '';
  if (rule === 'required' && !hasKey) return { ok: false, seq, error: `${type} without key_id` };
  if (rule === 'none' && hasKey) return { ok: false, seq, error: `${type} with a key_id` };
  const current = upcast(type, data as Record<string, unknown>, Number(row.at));
  const problem = checkPayload(type, current);
  if (problem) return { ok: false, seq, error: `${type}: ${problem}` };
  return {
    ok: true,
    event: { seq, at: Number(row.at), type, key_id: row.key_id, actor: row.actor, origin: row.origin, data: current } as unknown as StoredEvent,
  };
}

type D = Record<string, unknown>;
const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const count = (v: unknown) => num(v) && Number.isInteger(v) && (v as number) >= 0;
const text = (v: unknown) => typeof v === 'string';
const status = (v: unknown) => v === null || (num(v) && Number.isInteger(v));
const oneOf = (v: unknown, values: readonly string[]) => typeof v === 'string' && values.includes(v);
const need = (ok: boolean, what: string) => (ok ? null : `needs ${what}`);

const FAILURE_CLASSES = ['credential', 'quota', 'rate_limit', 'transient', 'caller'];

function keyRule(type: EventType): 'required' | 'none' | 'optional' {
  switch (type) {
    case 'KeyAdded': case 'KeyUsed': case 'KeyFailed': case 'KeyCooled': case 'KeyFreeCooled': case 'KeyDeactivated':
    case 'KeyReactivated': case 'KeyWeightChanged': case 'KeyDeleted': case 'KeyProbed':
    case 'KeyCreditChecked': case 'KeyLabelsChanged':
      return 'required';
    case 'SettingsChanged': case 'AdminLoginSucceeded': case 'AdminLoginFailed': case 'AdminLoggedOut':
      return 'none';
    case 'AdminKeyAccessed':
      return 'optional'; // a reference that named no key has none
    default: return unreachable(type);
  }
}

/** Every event type is checked; a new type that is not handled here does not compile. */
function checkPayload(type: EventType, d: D): string | null {
  switch (type) {
    case 'KeyAdded': return need(count(d.weight) && text(d.masked) && text(d.suffix), 'weight, masked and suffix');
    case 'KeyUsed':
      return need(['count', 'prompt_tokens', 'completion_tokens', 'total_tokens', 'last_used_at'].every((f) => count(d[f])) && freeCounts(d), 'counts');
    case 'KeyFailed':
      return need(oneOf(d.class, FAILURE_CLASSES) && count(d.consecutive) && status(d.status) && text(d.reason)
        && (d.count === undefined || count(d.count)) && freeCounts(d)
        && (d.scope === undefined || oneOf(d.scope, ['key', 'free', 'model'])), 'class, status, reason and consecutive');
    case 'KeyCooled': return need(num(d.until) && num(d.seconds), 'until and seconds');
    case 'KeyFreeCooled':
      return need(num(d.until) && num(d.seconds) && count(d.strikes) && oneOf(d.window, ['minute', 'day'])
        && (d.limit === null || count(d.limit)) && text(d.reason), 'until, seconds, strikes, window, limit and reason');
    case 'KeyDeactivated': return need(text(d.reason), 'reason');
    case 'KeyReactivated': return need(oneOf(d.by, ['probe', 'cooldown', 'admin']), 'by');
    case 'KeyWeightChanged': return need(count(d.weight) && count(d.previous), 'weight and previous');
    case 'KeyDeleted': return need(text(d.masked), 'masked');
    case 'KeyProbed': return need(typeof d.ok === 'boolean' && status(d.status) && text(d.detail), 'ok, status and detail');
    case 'SettingsChanged':
      return need(plainObject(d.changes) && (d.previous === undefined || plainObject(d.previous)), 'changes');
    case 'KeyCreditChecked':
      return need(['limit', 'limit_remaining', 'usage', 'usage_daily', 'usage_weekly', 'usage_monthly'].every((f) => d[f] === null || num(d[f]))
        && (d.limit_reset === null || text(d.limit_reset)) && (d.is_free_tier === null || typeof d.is_free_tier === 'boolean'), 'credit numbers or null');
    case 'KeyLabelsChanged':
      return need(labels(d.labels) && labels(d.previous), 'labels and previous');
    case 'AdminLoginSucceeded': case 'AdminLoginFailed': case 'AdminLoggedOut':
      return need(text(d.client), 'client');
    case 'AdminKeyAccessed':
      return need(oneOf(d.action, ['weight', 'activate', 'deactivate', 'delete', 'check'])
        && oneOf(d.outcome, ['unchanged', 'not_found', 'ambiguous']) && text(d.ref) && text(d.client), 'action, outcome, ref and client');
    default: return unreachable(type);
  }
}

const plainObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
const labels = (v: unknown) => Array.isArray(v) && v.every(text);

/** The optional `:free` share of a coalesced KeyUsed or KeyFailed. */
function freeCounts(d: D): boolean {
  return (d.free === undefined || count(d.free)) && (d.last_free_at === undefined || num(d.last_free_at));
}

function unreachable(type: never): never {
  throw new Error(`event type ${String(type)} is not handled`);
}
