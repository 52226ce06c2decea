// Turns a stored row back into an event, checking it before it may enter the fold.
// A row that does not decode is reported and skipped, never folded half-understood.

import { EVENT_TYPES, type EventType, type StoredEvent } from './types';

export interface EventRowData {
  seq: number | string; at: number | string; type: string; key_id: string | null;
  actor: string; origin: string; data: string;
}

const KNOWN = new Set<string>(EVENT_TYPES);
const KEYED = new Set<EventType>([
  'KeyAdded', 'KeyUsed', 'KeyFailed', 'KeyCooled', 'KeyDeactivated', 'KeyReactivated',
  'KeyWeightChanged', 'KeyDeleted', 'KeyProbed', 'KeyCreditChecked', 'KeyLabelsChanged',
]);

export type Decoded = { ok: true; event: StoredEvent } | { ok: false; seq: number; error: string };

export function decodeEvent(row: EventRowData): Decoded {
  const seq = Number(row.seq);
  if (!KNOWN.has(row.type)) return { ok: false, seq, error: `unknown event type ${row.type}` };
  let data: unknown;
  try { data = JSON.parse(row.data); } catch { return { ok: false, seq, error: 'data is not JSON' }; }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return { ok: false, seq, error: 'data is not an object' };
  if (KEYED.has(row.type as EventType) && !row.key_id) return { ok: false, seq, error: `${row.type} without key_id` };
  const problem = checkPayload(row.type as EventType, data as Record<string, unknown>);
  if (problem) return { ok: false, seq, error: `${row.type}: ${problem}` };
  return {
    ok: true,
    event: {
      seq, at: Number(row.at), type: row.type, key_id: row.key_id, actor: row.actor, origin: row.origin, data,
    } as StoredEvent,
  };
}

const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);

function checkPayload(type: EventType, d: Record<string, unknown>): string | null {
  switch (type) {
    case 'KeyAdded': return num(d.weight) && typeof d.masked === 'string' ? null : 'needs weight and masked';
    case 'KeyUsed':
      return ['count', 'prompt_tokens', 'completion_tokens', 'total_tokens', 'last_used_at'].every((f) => num(d[f])) ? null : 'needs counts';
    case 'KeyFailed': return typeof d.class === 'string' && num(d.consecutive) ? null : 'needs class and consecutive';
    case 'KeyCooled': return num(d.until) ? null : 'needs until';
    case 'KeyWeightChanged': return num(d.weight) ? null : 'needs weight';
    case 'KeyReactivated': return ['probe', 'cooldown', 'admin'].includes(d.by as string) ? null : 'needs by';
    case 'SettingsChanged': return typeof d.changes === 'object' && d.changes !== null ? null : 'needs changes';
    case 'KeyCreditChecked':
      return ['limit', 'limit_remaining', 'usage', 'usage_daily', 'usage_weekly', 'usage_monthly'].every((f) => d[f] === null || num(d[f])) ? null : 'needs numbers or null';
    case 'KeyLabelsChanged':
      return Array.isArray(d.labels) && d.labels.every((l) => typeof l === 'string') ? null : 'needs labels';
    default: return null;
  }
}
