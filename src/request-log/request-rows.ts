// Stored requests as the admin API's R object and as CSV lines. Keys are named by id and by the
// masked form the projection remembers (deleted keys included); never by their secret.

import type { StoredRequest } from '../store/request-log-store';
import type { RequestOutcome } from './entry';

export interface RequestRow {
  id: number; at: string; route: string; model: string; stream: boolean; status: number; outcome: RequestOutcome;
  attempts: number; key_id: string | null; masked: string | null;
  keys_tried: { id: string; masked: string | null; outcome: RequestOutcome }[];
  latency_ms: number; ttfb_ms: number | null; input_tokens: number; output_tokens: number; cost: number | null; client: string;
}

export function requestRow(r: StoredRequest, names: Record<string, string>): RequestRow {
  return {
    id: r.id, at: new Date(r.at).toISOString(), route: r.route, model: r.model, stream: r.stream, status: r.status,
    outcome: r.outcome, attempts: r.attempts, key_id: r.key_id, masked: r.key_id ? names[r.key_id] ?? null : null,
    keys_tried: r.keys_tried.map((k) => ({ id: k.id, masked: names[k.id] ?? null, outcome: k.outcome })),
    latency_ms: r.latency_ms, ttfb_ms: r.ttfb_ms, input_tokens: r.input_tokens, output_tokens: r.output_tokens,
    cost: r.cost, client: r.client,
  };
}

export const CSV_HEADER = 'id,at,route,model,stream,status,outcome,attempts,key_id,masked,keys_tried,latency_ms,ttfb_ms,input_tokens,output_tokens,cost,client\n';

/** One CSV line (RFC 4180 quoting; cells a spreadsheet would run as a formula are defused). */
export function csvLine(r: RequestRow): string {
  const tried = r.keys_tried.map((k) => `${k.id}:${k.outcome}`).join(' ');
  return [r.id, r.at, r.route, r.model, r.stream, r.status, r.outcome, r.attempts, r.key_id ?? '', r.masked ?? '', tried,
    r.latency_ms, r.ttfb_ms ?? '', r.input_tokens, r.output_tokens, r.cost ?? '', r.client].map(cell).join(',') + '\n';
}

function cell(v: string | number | boolean): string {
  if (typeof v !== 'string') return String(v);
  const s = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
