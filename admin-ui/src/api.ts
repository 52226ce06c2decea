// The admin JSON API: one fetch wrapper (same-origin cookie, JSON both ways, CSRF content type),
// the shapes from docs/api.md, and the 401 → login redirect.

// The shapes the server answers with, imported from the modules that build them (type-only imports:
// nothing from src/ ends up in the bundle), so the dashboard cannot drift from the API.
import type { SettingsChanges, SettingsView as Settings } from '../../src/admin/settings-routes';
import type { KeyStatus } from '../../src/domain/pool-state';
import type { AddReport } from '../../src/keys/key-commands';
import type { AuditEntry as AuditEvent, AuditPage as EventPage } from '../../src/projection/audit-view';
import type { KeyRow as Key, KeyTablePage as KeyPage } from '../../src/projection/key-table';

export type { AddReport, AuditEvent, EventPage, Key, KeyPage, KeyStatus, Settings, SettingsChanges };
export type Credit = NonNullable<Key['credit']>;

import type { RequestRow } from '../../src/request-log/request-rows';
import type { StatsAnswer as Stats, StatsPoint, StatsWindow } from '../../src/request-log/stats';
import type { RequestOutcome as Outcome } from '../../src/request-log/entry';

export type { Outcome, RequestRow, Stats, StatsPoint, StatsWindow };
export const OUTCOMES: Outcome[] = ['ok', 'caller', 'credential', 'quota', 'rate_limit', 'transient', 'no_key', 'client_abort'];

export interface RequestPage { requests: RequestRow[]; total: number; page: number; limit: number; total_pages: number }

export interface RequestFilters { key_id?: string; model?: string; status?: string; outcome?: string; since?: string; until?: string }


export type BulkAction = 'activate' | 'deactivate' | 'check' | 'end_cooldown' | 'set_weight' | 'add_label' | 'remove_label' | 'delete';

export interface BulkRequest {
  action: BulkAction; filter?: { status?: string; q?: string; label?: string }; ids?: string[];
  weight?: number; label?: string; dry_run?: boolean;
}

export interface BulkAnswer {
  action: BulkAction; matched: number; will_change: number; dry_run: boolean; changed?: number;
  changes?: { id: string; masked: string; from: string; to: string }[];
}

export interface BatchDeleteReport { message: string; deleted_count: number; requested_count: number }

export interface Message { message: string }

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null = null,
    readonly retryAfter: number | null = null,
  ) {
    super(message);
  }
}

let onUnauthorized: () => void = () => {};

/** What to do when the session is gone (the app navigates to the login page). */
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export async function request<T>(method: Method, path: string, body?: unknown, opts: { login?: boolean } = {}): Promise<T> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (method !== 'GET') {
    // The server refuses state-changing requests without this header (CSRF defence), and an empty
    // body with a JSON content type is itself an error, so bodiless commands send `{}`.
    init.headers = { Accept: 'application/json', 'Content-Type': 'application/json' };
    init.body = JSON.stringify(body ?? {});
  }
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError('The server cannot be reached. Check your connection and try again.', 0, 'network_error');
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (res.ok) return json as T;
  const err = (json as { error?: { message?: unknown; code?: unknown } } | null)?.error;
  const message = typeof err?.message === 'string' && err.message ? err.message : `${res.status} ${res.statusText || 'request failed'}`;
  const code = typeof err?.code === 'string' ? err.code : null;
  const retry = Number(res.headers.get('retry-after'));
  const failure = new ApiError(message, res.status, code, Number.isFinite(retry) && retry > 0 ? retry : null);
  if (res.status === 401 && !opts.login) onUnauthorized();
  throw failure;
}

/** `?a=1&b=x`, leaving out empty values. */
export function query(params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== '' && v !== null && v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

const enc = encodeURIComponent;

export const api = {
  login: (password: string) => request<Message>('POST', '/admin/login', { password }, { login: true }),
  logout: () => request<Message>('POST', '/admin/logout', {}, { login: true }),
  keys: (p: { page: number; limit: number; status?: string; q?: string; label?: string; sort?: string; order?: string }) => request<KeyPage>('GET', `/admin/key-status${query(p)}`),
  requests: (p: RequestFilters & { page: number; limit: number }) => request<RequestPage>('GET', `/admin/requests${query({ ...p })}`),
  requestsCsvUrl: (p: RequestFilters) => `/admin/requests.csv${query({ ...p })}`,
  stats: (window: StatsWindow) => request<Stats>('GET', `/admin/stats?window=${window}`),
  keyTrends: (ids: string[]) => request<{ trends: Record<string, number[]> }>('GET', `/admin/key-trends?ids=${ids.map(enc).join(',')}`),
  bulk: (body: BulkRequest) => request<BulkAnswer>('POST', '/admin/keys/bulk', body),
  addKeys: (key_data: string) => request<AddReport>('POST', '/admin/add-keys', { key_data }),
  deleteKey: (id: string) => request<Message>('DELETE', `/admin/delete-key/${enc(id)}`),
  deleteKeys: (ids: string[]) => request<BatchDeleteReport>('POST', '/admin/delete-keys-batch', { ids }),
  patchKey: (id: string, patch: { weight?: number; active?: boolean; labels?: string[] }) => request<Key>('PATCH', `/admin/keys/${enc(id)}`, patch),
  checkKey: (id: string) => request<Key>('POST', `/admin/keys/${enc(id)}/check`),
  status: () => request<Record<string, unknown>>('GET', '/admin/app-status'),
  settings: () => request<Settings>('GET', '/admin/settings'),
  saveSettings: (changes: SettingsChanges) => request<Settings>('POST', '/admin/settings', changes),
  events: (p: { page: number; limit: number; key_id?: string; type?: string; category?: string }) => request<EventPage>('GET', `/admin/events${query(p)}`),
};

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
