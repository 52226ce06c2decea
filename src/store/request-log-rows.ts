// The rows one batch of request summaries becomes, whatever the database: the request itself, every
// key it tried, and what it adds to the per-minute rollups.

import type { RequestSummary } from '../request-log/entry';
import { latencyBin } from '../request-log/latency-bins';

const MINUTE = 60_000;

export interface RequestRow {
  at: number; route: string; model: string; stream: number; status: number; ok: number; outcome: string;
  attempts: number; key_id: string | null; keys_tried: string; latency_ms: number; ttfb_ms: number | null;
  input_tokens: number; output_tokens: number; cost: number | null; client: string;
}

export interface TriedRow { request_id: number; key_id: string; at: number; outcome: string }

/**
 * A per-minute rollup table: its columns, those that name a row (the others are added up), all
 * starting with `minute`. The charts read the first two, the key table the third.
 */
export interface Rollup { table: string; columns: readonly string[]; keys: readonly string[] }

export const ROLLUPS: readonly Rollup[] = [
  { table: 'request_minutes', columns: ['minute', 'outcome', 'requests', 'input_tokens', 'output_tokens', 'cost'], keys: ['minute', 'outcome'] },
  { table: 'request_minute_latency', columns: ['minute', 'bin', 'n'], keys: ['minute', 'bin'] },
  { table: 'request_key_minutes', columns: ['minute', 'key_id', 'outcome', 'n'], keys: ['minute', 'key_id', 'outcome'] },
];

/** The whole minute `t` (ms since the epoch) falls in. */
export const minuteOf = (t: number): number => t - (t % MINUTE);

export function requestRow(s: RequestSummary): RequestRow {
  return {
    at: s.at, route: s.route, model: s.model.slice(0, 200), stream: s.stream ? 1 : 0, status: s.status, ok: s.outcome === 'ok' ? 1 : 0,
    outcome: s.outcome, attempts: s.attempts, key_id: s.key_id, keys_tried: JSON.stringify(s.keys_tried),
    latency_ms: s.latency_ms, ttfb_ms: s.ttfb_ms, input_tokens: s.input_tokens, output_tokens: s.output_tokens,
    cost: s.cost, client: s.client.slice(0, 64),
  };
}

/** The keys one stored request tried; a request never tries a key twice, and if it did the first counts. */
export function triedRows(s: RequestSummary, requestId: number, out: TriedRow[]): void {
  for (let i = 0; i < s.keys_tried.length; i++) {
    const k = s.keys_tried[i];
    if (!repeated(s, i)) out.push({ request_id: requestId, key_id: k.id, at: s.at, outcome: k.outcome });
  }
}

function repeated(s: RequestSummary, i: number): boolean {
  for (let j = 0; j < i; j++) if (s.keys_tried[j].id === s.keys_tried[i].id) return true;
  return false;
}

/**
 * What the batch adds to each table of ROLLUPS, in that order, as rows of its columns: per minute and
 * outcome the requests, tokens and cost; per minute and latency bin the requests; per minute, key and
 * outcome the attempts (as request_keys holds them). Each table's rows come in key order: replicas
 * adding to the same rows at once then lock them in the same order, so their transactions wait for
 * each other instead of deadlocking (which would drop one batch).
 */
export function rollupRows(batch: readonly RequestSummary[]): (string | number)[][][] {
  const minutes = new Map<string, [number, string, number, number, number, number]>();
  const bins = new Map<string, [number, number, number]>();
  const keys = new Map<string, [number, string, string, number]>();
  for (const s of batch) {
    const minute = minuteOf(s.at);
    const mk = `${minute}|${s.outcome}`;
    let m = minutes.get(mk);
    if (!m) minutes.set(mk, (m = [minute, s.outcome, 0, 0, 0, 0]));
    m[2]++; m[3] += s.input_tokens; m[4] += s.output_tokens; m[5] += s.cost ?? 0;
    const bin = latencyBin(s.latency_ms);
    const bk = `${minute}|${bin}`;
    let b = bins.get(bk);
    if (!b) bins.set(bk, (b = [minute, bin, 0]));
    b[2]++;
    for (let i = 0; i < s.keys_tried.length; i++) {
      if (repeated(s, i)) continue;
      const t = s.keys_tried[i];
      const kk = `${minute}|${t.id}|${t.outcome}`;
      let k = keys.get(kk);
      if (!k) keys.set(kk, (k = [minute, t.id, t.outcome, 0]));
      k[3]++;
    }
  }
  return [minutes, bins, keys].map((rows, i) => [...rows.values()].sort(byFirst(ROLLUPS[i].keys.length)));
}

/** Orders rows by their first `n` values (a rollup's key columns come first). */
function byFirst(n: number) {
  return (a: readonly (string | number)[], b: readonly (string | number)[]): number => {
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
    return 0;
  };
}

/** `INSERT … ON CONFLICT/DUPLICATE KEY` that adds the new counts to the stored ones, so writers sum up. */
export function addingUpsert(type: 'sqlite' | 'mysql', table: string, cols: readonly string[], keys: readonly string[], rows: number): string {
  const values = Array.from({ length: rows }, () => `(${cols.map(() => '?').join(', ')})`).join(', ');
  const sums = cols.filter((c) => !keys.includes(c))
    .map((c) => (type === 'sqlite' ? `${c} = ${c} + excluded.${c}` : `${c} = ${c} + VALUES(${c})`)).join(', ');
  const tail = type === 'sqlite' ? `ON CONFLICT (${keys.join(', ')}) DO UPDATE SET` : 'ON DUPLICATE KEY UPDATE';
  return `INSERT INTO ${table} (${cols.join(', ')}) VALUES ${values} ${tail} ${sums}`;
}
