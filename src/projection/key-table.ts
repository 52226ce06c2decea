// The admin's key table: the pool as rows of the API's K object, filtered, searched and paged, with
// counts by status at one instant. Unsorted, one pass over the keys (insertion order = the order they
// were added) and no copy of the pool, so the dashboard can poll it every few seconds; sorted, the
// matching keys are sorted once (missing values last in either order).

import { exhausted, type Credit } from '../domain/credit';
import { keyStatus, type KeyState, type KeyStatus, type PoolState } from '../domain/pool-state';

export interface KeyRow {
  id: string; masked: string; key_suffix: string; status: KeyStatus; is_active: boolean; weight: number;
  failure_count: number; consecutive_failures: number; total_requests: number; total_failures: number;
  last_used_time: string | null; last_failure_time: string | null; cool_down_until: string | null;
  free_cool_down_until: string | null;
  last_error: string | null; added_at: string | null;
  credit: (Credit & { checked_at: string }) | null;
  success_rate: number | null; requests_24h: number;
  inactive_since: string | null; next_probe_at: string | null;
  labels: string[];
}

export const KEY_SORTS = ['status', 'weight', 'failures', 'success_rate', 'credit_remaining', 'last_used'] as const;
export type KeySort = (typeof KEY_SORTS)[number];

export interface KeyTableQuery {
  page: number; limit: number; status?: KeyStatus; q?: string; label?: string;
  sort?: KeySort; order?: 'asc' | 'desc';
}

/** What a row needs beyond the folded state: health from the request log, the probe schedules. */
export interface RowContext {
  health(id: string): { success_rate: number | null; requests_24h: number };
  nextProbeAt: number | null;
  nextCreditAt: number | null;
  /** Until when a key is out of `:free` requests; without it, its rest in the log alone. */
  freeOut?: FreeOut;
}

const NO_CONTEXT: RowContext = { health: () => ({ success_rate: null, requests_24h: 0 }), nextProbeAt: null, nextCreditAt: null };

export interface KeyTablePage {
  keys: KeyRow[]; total_keys: number; page: number; limit: number; total_pages: number;
  counts: Record<KeyStatus, number>;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** Until when a key is out of `:free` requests (its rest, or its daily quota spent); default: the rest alone. */
export type FreeOut = (k: KeyState, now: number) => number | null;
const freeRestOf: FreeOut = (k, now) => (k.freeCoolUntil !== null && k.freeCoolUntil > now ? k.freeCoolUntil : null);

export function keyRow(k: KeyState, now: number, ctx: RowContext = NO_CONTEXT): KeyRow {
  const status = keyStatus(k, now);
  const spent = exhausted(k.credit);
  const health = ctx.health(k.id);
  return {
    id: k.id, masked: k.masked, key_suffix: k.suffix, status, is_active: k.active, weight: k.weight,
    // The original service's failure_count reset on success: that is the consecutive count.
    failure_count: k.consecutiveFailures, consecutive_failures: k.consecutiveFailures,
    total_requests: k.totalRequests, total_failures: k.totalFailures,
    last_used_time: iso(k.lastUsedAt), last_failure_time: iso(k.lastFailureAt),
    cool_down_until: k.coolUntil !== null && k.coolUntil > now ? iso(k.coolUntil) : null,
    free_cool_down_until: iso((ctx.freeOut ?? freeRestOf)(k, now)),
    last_error: k.lastError, added_at: iso(k.addedAt),
    credit: k.credit ? { ...k.credit, checked_at: iso(k.credit.checked_at) as string } : null,
    success_rate: health.success_rate, requests_24h: health.requests_24h,
    inactive_since: status === 'inactive' ? iso(k.inactiveSince ?? (spent ? k.credit?.checked_at ?? null : null)) : null,
    next_probe_at: status !== 'inactive' ? null : iso(nextProbe(k, spent, ctx)),
    labels: k.labels ?? [],
  };
}

/** A deactivated key is probed on the prober's next round after its cooldown; a spent one on the credit refresh's. */
function nextProbe(k: KeyState, spent: boolean, ctx: RowContext): number | null {
  if (k.active && spent) return ctx.nextCreditAt;
  if (ctx.nextProbeAt === null) return null;
  return k.coolUntil !== null && k.coolUntil > ctx.nextProbeAt ? k.coolUntil : ctx.nextProbeAt;
}

const STATUS_RANK: Record<KeyStatus, number> = { inactive: 0, disabled: 1, cooling: 2, active: 3 };

/** The value a key sorts by; null sorts last in either order. */
function sortValue(k: KeyState, sort: KeySort, now: number, ctx: RowContext): number | null {
  switch (sort) {
    case 'status': return STATUS_RANK[keyStatus(k, now)];
    case 'weight': return k.weight;
    case 'failures': return k.consecutiveFailures * 1e9 + k.totalFailures; // current streak first, then history
    case 'success_rate': return ctx.health(k.id).success_rate;
    case 'credit_remaining': return k.credit?.limit_remaining ?? null;
    case 'last_used': return k.lastUsedAt;
  }
}

/** Whether a key carries the label (ignoring case). */
export function hasLabel(k: KeyState, label: string): boolean {
  return (k.labels ?? []).some((l) => l.toLowerCase() === label);
}

/** `q` matches an id (prefix or part), the 4-character suffix, or the masked form, ignoring case. */
export function matchesSearch(k: KeyState, q: string): boolean {
  return k.id.includes(q) || (q.length <= 4 && k.suffix.toLowerCase().endsWith(q)) || k.masked.toLowerCase().includes(q);
}

export function keyTable(state: PoolState, query: KeyTableQuery, now: number, ctx: RowContext = NO_CONTEXT): KeyTablePage {
  const counts = { active: 0, cooling: 0, inactive: 0, disabled: 0 } as Record<KeyStatus, number>;
  const from = (query.page - 1) * query.limit;
  const rows: KeyRow[] = [];
  const sorted: KeyState[] = [];
  let matched = 0;
  const matches = keyFilter(query, now);
  for (const id in state.keys) {
    const k = state.keys[id];
    counts[keyStatus(k, now)]++;
    if (!matches(k)) continue;
    if (query.sort) sorted.push(k);
    else if (matched >= from && rows.length < query.limit) rows.push(keyRow(k, now, ctx));
    matched++;
  }
  if (query.sort) {
    const sort = query.sort;
    const dir = (query.order ?? defaultOrder(sort)) === 'asc' ? 1 : -1;
    const value = new Map(sorted.map((k) => [k.id, sortValue(k, sort, now, ctx)]));
    sorted.sort((a, b) => {
      const x = value.get(a.id) ?? null;
      const y = value.get(b.id) ?? null;
      if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
      return (x - y) * dir;
    });
    for (const k of sorted.slice(from, from + query.limit)) rows.push(keyRow(k, now, ctx));
  }
  return {
    keys: rows, total_keys: matched, page: query.page, limit: query.limit,
    total_pages: Math.ceil(matched / query.limit), counts,
  };
}

/** The worst first by default: low success rate, little credit, inactive; the most failures, the most recent use. */
export function defaultOrder(sort: KeySort): 'asc' | 'desc' {
  return sort === 'status' || sort === 'success_rate' || sort === 'credit_remaining' ? 'asc' : 'desc';
}

/** The key-status filters (status, search, label) as one predicate; bulk actions use the same. */
export function keyFilter(query: Pick<KeyTableQuery, 'status' | 'q' | 'label'>, now: number): (k: KeyState) => boolean {
  const q = query.q?.trim().toLowerCase() || '';
  const label = query.label?.trim().toLowerCase() || '';
  return (k) => (!query.status || keyStatus(k, now) === query.status) && (!q || matchesSearch(k, q)) && (!label || hasLabel(k, label));
}

export function statusCounts(state: PoolState, now: number): Record<KeyStatus, number> & { total: number } {
  const counts = { active: 0, cooling: 0, inactive: 0, disabled: 0, total: 0 };
  for (const id in state.keys) { counts[keyStatus(state.keys[id], now)]++; counts.total++; }
  return counts;
}
