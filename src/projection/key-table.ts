// The admin's key table: the pool as rows of the API's K object, filtered, searched and paged, with
// counts by status at one instant. One pass over the keys (insertion order = the order they were added),
// no sort and no copy of the pool, so the dashboard can poll it every few seconds.

import { keyStatus, type KeyState, type KeyStatus, type PoolState } from '../domain/pool-state';

export interface KeyRow {
  id: string; masked: string; key_suffix: string; status: KeyStatus; is_active: boolean; weight: number;
  failure_count: number; consecutive_failures: number; total_requests: number; total_failures: number;
  last_used_time: string | null; last_failure_time: string | null; cool_down_until: string | null;
  free_cool_down_until: string | null;
  last_error: string | null; added_at: string | null;
}

export interface KeyTableQuery { page: number; limit: number; status?: KeyStatus; q?: string }

export interface KeyTablePage {
  keys: KeyRow[]; total_keys: number; page: number; limit: number; total_pages: number;
  counts: Record<KeyStatus, number>;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** Until when a key is out of `:free` requests (its rest, or its daily quota spent); default: the rest alone. */
export type FreeOut = (k: KeyState, now: number) => number | null;
const freeRestOf: FreeOut = (k, now) => (k.freeCoolUntil !== null && k.freeCoolUntil > now ? k.freeCoolUntil : null);

export function keyRow(k: KeyState, now: number, freeOut: FreeOut = freeRestOf): KeyRow {
  const status = keyStatus(k, now);
  return {
    id: k.id, masked: k.masked, key_suffix: k.suffix, status, is_active: k.active, weight: k.weight,
    // The original service's failure_count reset on success: that is the consecutive count.
    failure_count: k.consecutiveFailures, consecutive_failures: k.consecutiveFailures,
    total_requests: k.totalRequests, total_failures: k.totalFailures,
    last_used_time: iso(k.lastUsedAt), last_failure_time: iso(k.lastFailureAt),
    cool_down_until: k.coolUntil !== null && k.coolUntil > now ? iso(k.coolUntil) : null,
    free_cool_down_until: iso(freeOut(k, now)),
    last_error: k.lastError, added_at: iso(k.addedAt),
  };
}

/** `q` matches an id (prefix or part), the 4-character suffix, or the masked form, ignoring case. */
export function matchesSearch(k: KeyState, q: string): boolean {
  return k.id.includes(q) || (q.length <= 4 && k.suffix.toLowerCase().endsWith(q)) || k.masked.toLowerCase().includes(q);
}

export function keyTable(state: PoolState, query: KeyTableQuery, now: number, freeOut?: FreeOut): KeyTablePage {
  const counts = { active: 0, cooling: 0, inactive: 0, disabled: 0 } as Record<KeyStatus, number>;
  const q = query.q?.trim().toLowerCase() || '';
  const from = (query.page - 1) * query.limit;
  const rows: KeyRow[] = [];
  let matched = 0;
  for (const id in state.keys) {
    const k = state.keys[id];
    const status = keyStatus(k, now);
    counts[status]++;
    if (query.status && status !== query.status) continue;
    if (q && !matchesSearch(k, q)) continue;
    if (matched >= from && rows.length < query.limit) rows.push(keyRow(k, now, freeOut));
    matched++;
  }
  return {
    keys: rows, total_keys: matched, page: query.page, limit: query.limit,
    total_pages: Math.ceil(matched / query.limit), counts,
  };
}

export function statusCounts(state: PoolState, now: number): Record<KeyStatus, number> & { total: number } {
  const counts = { active: 0, cooling: 0, inactive: 0, disabled: 0, total: 0 };
  for (const id in state.keys) { counts[keyStatus(state.keys[id], now)]++; counts.total++; }
  return counts;
}
