// Pure display helpers for the admin UI: no DOM, no clock (callers pass `now`), never throw.
// Everything returned is plain text; the UI renders it as text nodes only, in the current language.

import { t, type MessageKey } from './i18n/i18n';

/** A time from the API: an ISO string, ms since epoch, or a numeric string. null when absent or unreadable. */
export function toMs(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v !== 'string' || v.trim() === '') return null;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : t;
}

/** The short form of a key for sentences and narrow cells: `…wxyz`, else the id's start, else `—`. */
export function keyShort(masked?: string | null, id?: string | null): string {
  if (masked) {
    const i = masked.lastIndexOf('…');
    const j = masked.lastIndexOf('...');
    const tail = i >= 0 ? masked.slice(i + 1) : j >= 0 ? masked.slice(j + 3) : masked.slice(-4);
    if (tail) return `…${tail}`;
  }
  if (id) return id.length > 8 ? id.slice(0, 8) : id;
  return masked || '—';
}

const UNITS: Array<[number, MessageKey]> = [[86400, 'unit.d'], [3600, 'unit.h'], [60, 'unit.min'], [1, 'unit.s']];

/** Seconds as a short duration: `45 s`, `10 min`, `1 h 5 min`, `3 d 4 h` (two units at most). */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '—';
  let s = Math.max(0, Math.round(seconds));
  if (s === 0) return `0 ${t('unit.s')}`;
  const parts: string[] = [];
  for (const [size, unit] of UNITS) {
    if (s >= size && parts.length < 2) {
      parts.push(`${Math.floor(s / size)} ${t(unit)}`);
      s %= size;
    } else if (parts.length) break;
  }
  return parts.join(' ');
}

/** `just now`, `5 s ago`, `3 min ago`, `in 2 h`; `never` for no time. */
export function relTime(v: unknown, now: number): string {
  const at = toMs(v);
  if (at === null) return t('time.never');
  const diff = Math.round((now - at) / 1000);
  if (Math.abs(diff) < 3) return t('time.just_now');
  const d = duration(Math.abs(diff)).split(' ').slice(0, 2).join(' ');
  return diff > 0 ? t('time.ago', { d }) : t('time.in', { d });
}

/** Time left until `until` as `9:59` or `1:02:03`; `0:00` once it has passed. */
export function countdown(until: unknown, now: number): string {
  const t = toMs(until);
  if (t === null) return '';
  const left = Math.max(0, Math.ceil((t - now) / 1000));
  const h = Math.floor(left / 3600);
  const m = Math.floor((left % 3600) / 60);
  const s = String(left % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** A local date-time, e.g. `2025-01-31 14:05:09`; `—` when absent. */
export function dateTime(v: unknown): string {
  const t = toMs(v);
  if (t === null) return '—';
  const d = new Date(t);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function num(n: unknown): string {
  if (typeof n !== 'number' || !Number.isFinite(n)) return n === null || n === undefined ? '—' : String(n);
  return Number.isInteger(n) ? n.toLocaleString('en-US') : n.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

export function bytes(n: number): string {
  if (!Number.isFinite(n)) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

const ACRONYMS: Record<string, string> = { rss: 'RSS', id: 'ID', db: 'DB', api: 'API', url: 'URL', cpu: 'CPU', http: 'HTTP', sqlite: 'SQLite', mysql: 'MySQL' };

/** `event_loop_delay` / `eventLoopDelay` → `Event loop delay`. */
export function humanize(name: string): string {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_\-.]+/g, ' ').trim().toLowerCase();
  if (!words) return name;
  const out = words.split(' ').map((w) => ACRONYMS[w] ?? (/^p\d+$/.test(w) ? w.toUpperCase() : w)).join(' ');
  return out[0]!.toUpperCase() + out.slice(1);
}

/** A status-page label: the field name without the unit suffix that `fieldValue` already shows. */
export function fieldLabel(name: string): string {
  return humanize(name.replace(/_(seconds|secs|sec|ms|bytes)$/i, '')) || humanize(name);
}

const SECRET_NAME = /password|secret|api_key|token/i;

/** A status-page value by its field name: durations, sizes and times get units, the rest reads plainly. */
export function fieldValue(name: string, v: unknown, now: number): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'boolean') return v ? t('common.yes') : t('common.no');
  const n = name.toLowerCase();
  if (typeof v === 'number') {
    if (/(^|[._])(rss|heap|external|array_buffers)|bytes|memory/.test(n) && !/percent|ratio|count/.test(n)) return bytes(v);
    if (/(^|[._])cost$|limit_remaining_sum$/.test(n)) return money(v);
    if (/_ms($|\.)|millis/.test(n)) return v >= 10000 ? duration(v / 1000) : `${num(v)} ms`;
    if (/_seconds$|_secs$|_sec$|uptime|(^|[._])age($|_)/.test(n)) return duration(v);
    if (/(_at|_time)$/.test(n) && v > 1e11) return `${dateTime(v)} (${relTime(v, now)})`;
    return num(v);
  }
  if (typeof v === 'string') {
    if (/(_at|_time|_until)$/.test(n) && toMs(v) !== null) return `${dateTime(v)} (${relTime(v, now)})`;
    return v;
  }
  if (Array.isArray(v)) return v.every((x) => x === null || typeof x !== 'object') ? v.join(', ') : JSON.stringify(v);
  return JSON.stringify(v);
}

/** Flattens nested objects into `a.b` keys for generic key/value rendering. */
export function flatten(obj: Record<string, unknown>, prefix = ''): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (const [k, v] of Object.entries(obj)) {
    const name = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) out.push(...flatten(v as Record<string, unknown>, name));
    else out.push([name, v]);
  }
  return out;
}

// ---- event sentences ----

export const EVENT_TYPES = [
  'KeyAdded', 'KeyUsed', 'KeyFailed', 'KeyCooled', 'KeyFreeCooled', 'KeyDeactivated', 'KeyReactivated',
  'KeyWeightChanged', 'KeyDeleted', 'KeyProbed', 'SettingsChanged',
  'AdminLoginSucceeded', 'AdminLoginFailed', 'AdminLoggedOut', 'AdminKeyAccessed', 'KeyCreditChecked', 'KeyLabelsChanged',
] as const;

/** What the history shows by default (category=changes) and behind the usage filter. */
export const USAGE_TYPES = ['KeyUsed', 'KeyFailed', 'KeyProbed', 'KeyCreditChecked'];

export interface EventView {
  type: string;
  key_id?: string | null;
  masked?: string | null;
  actor?: string | null;
  data?: unknown;
}

const str = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
const numOr = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const count = (n: number, one: MessageKey, many: MessageKey) => t(n === 1 ? one : many, { n: num(n) });

function changesText(changes: unknown, previous: unknown): string {
  if (Array.isArray(changes)) return changes.map(str).join(', ');
  if (!changes || typeof changes !== 'object') return str(changes);
  const before = (previous && typeof previous === 'object' ? previous : {}) as Record<string, unknown>;
  return Object.entries(changes as Record<string, unknown>).map(([name, v]) => {
    if (SECRET_NAME.test(name)) return t('ev.setting_secret', { name });
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      const to = o.to ?? o.new ?? o.value;
      const from = o.from ?? o.old ?? o.previous;
      if (to !== undefined) return from !== undefined ? t('ev.setting_from_to', { name, from: str(from), to: str(to) }) : t('ev.setting_is', { name, to: str(to) });
    }
    if (name in before) return t('ev.setting_from_to', { name, from: str(before[name]), to: str(v) });
    return t('ev.setting_is', { name, to: str(v) });
  }).join(', ');
}

/** One readable sentence per event, e.g. `key …ab12 cooled for 10 min (until 14:05:09)`, in the current language. */
export function eventSentence(ev: EventView): string {
  const d = (ev.data && typeof ev.data === 'object' ? ev.data : {}) as Record<string, unknown>;
  const key = t('ev.key', { key: keyShort(ev.masked || str(d.masked) || null, ev.key_id) });
  const status = numOr(d.status);
  const st = status !== null ? t('ev.status', { status }) : '';
  switch (ev.type) {
    case 'KeyAdded':
      return numOr(d.weight) !== null ? t('ev.added_weight', { key, weight: str(d.weight) }) : t('ev.added', { key });
    case 'KeyUsed': {
      const n = numOr(d.count) ?? 1;
      const total = numOr(d.total_tokens);
      const tokens = total !== null && total > 0
        ? t('ev.tokens', { tokens: count(total, 'ev.n_token', 'ev.n_tokens'), prompt: num(numOr(d.prompt_tokens) ?? 0), completion: num(numOr(d.completion_tokens) ?? 0) })
        : '';
      return t('ev.used', { key, requests: count(n, 'ev.n_request', 'ev.n_requests'), tokens });
    }
    case 'KeyFailed': {
      const raw = str(d.class);
      const cls = raw ? (CLASSES.includes(raw) ? t(`ev.class.${raw}` as MessageKey) : raw.replace(/_/g, ' ')) : t('ev.class.error');
      const n = numOr(d.count);
      const reason = str(d.reason);
      const cons = numOr(d.consecutive);
      return t('ev.failed', { key, cls }) + st + (n && n > 1 ? ` ×${n}` : '') +
        (reason ? ` — ${reason}` : '') + (cons !== null ? `; ${count(cons, 'ev.n_consecutive', 'ev.n_consecutives')}` : '');
    }
    case 'KeyCooled': {
      const secs = numOr(d.seconds);
      const until = toMs(d.until);
      const why = status !== null ? t('ev.after', { what: String(status) }) : d.reason ? t('ev.after', { what: str(d.reason) }) : '';
      return t('ev.cooled', { key }) + (secs !== null ? t('ev.for', { duration: duration(secs) }) : '') + why +
        (until !== null ? t('ev.until', { time: dateTime(until).slice(11) }) : '');
    }
    case 'KeyFreeCooled': {
      const secs = numOr(d.seconds);
      const until = toMs(d.until);
      const limit = numOr(d.limit);
      return t('ev.free_cooled', { key }) + (secs !== null ? t('ev.for', { duration: duration(secs) }) : '') + ': ' +
        t(d.window === 'day' ? 'ev.free_day_spent' : 'ev.free_minute_spent') + (limit !== null ? t('ev.free_limit', { limit }) : '') +
        (until !== null ? t('ev.until', { time: dateTime(until).slice(11) }) : '') + t('ev.free_paid_go');
    }
    case 'KeyDeactivated':
      if (ev.actor === 'admin') return d.reason ? t('ev.disabled_why', { key, reason: str(d.reason) }) : t('ev.disabled', { key });
      return d.reason ? t('ev.deactivated_why', { key, reason: str(d.reason) }) : t('ev.deactivated', { key });
    case 'KeyReactivated': {
      const by = str(d.by);
      if (by === 'cooldown') return t('ev.reactivated_cooldown', { key });
      if (by === 'probe') return t('ev.reactivated_probe', { key });
      return by ? t('ev.reactivated_by', { key, by }) : t('ev.reactivated', { key });
    }
    case 'KeyWeightChanged':
      return d.previous !== undefined ? t('ev.weight_from_to', { key, from: str(d.previous), to: str(d.weight) }) : t('ev.weight_to', { key, to: str(d.weight) });
    case 'KeyDeleted':
      return t('ev.deleted', { key });
    case 'KeyProbed':
      return t(d.ok ? 'ev.probe_passed' : 'ev.probe_failed', { key }) + st + (d.detail ? `: ${str(d.detail)}` : '');
    case 'KeyCreditChecked': {
      const rem = numOr(d.limit_remaining);
      return rem === null
        ? t('ev.credit_no_limit', { key, usage: money(numOr(d.usage) ?? 0) })
        : t('ev.credit', { key, remaining: money(rem), limit: money(numOr(d.limit) ?? 0), usage: money(numOr(d.usage) ?? 0) });
    }
    case 'KeyLabelsChanged': {
      const labels = Array.isArray(d.labels) ? (d.labels as unknown[]).map(str) : [];
      const before = Array.isArray(d.previous) ? (d.previous as unknown[]).map(str) : [];
      return t('ev.labels', { key, from: before.join(', ') || '∅', to: labels.join(', ') || '∅' });
    }
    case 'SettingsChanged': {
      const text = changesText(d.changes, d.previous);
      return text ? t('ev.settings_changed', { text }) : t('ev.settings');
    }
    case 'AdminLoginSucceeded':
      return d.client ? t('ev.login_from', { client: str(d.client) }) : t('ev.login');
    case 'AdminLoginFailed':
      return d.client ? t('ev.login_failed_from', { client: str(d.client) }) : t('ev.login_failed');
    case 'AdminLoggedOut':
      return d.client ? t('ev.logout_from', { client: str(d.client) }) : t('ev.logout');
    case 'AdminKeyAccessed': {
      const what = d.outcome === 'unchanged' ? t('ev.access_unchanged', { key }) : d.outcome === 'ambiguous' ? t('ev.access_ambiguous') : t('ev.access_not_found');
      const line = t('ev.access', { action: str(d.action) || 'command', ref: JSON.stringify(str(d.ref)), what });
      return d.client ? line + t('ev.access_from', { client: str(d.client) }) : line;
    }
    default: {
      const rest = Object.keys(d).length ? ` ${JSON.stringify(d)}` : '';
      return `${ev.type}${ev.key_id ? ` ${key}` : ''}${rest}`;
    }
  }
}

const CLASSES = ['credential', 'quota', 'rate_limit', 'transient', 'caller'];

/** Page numbers to show: 1 … 4 5 6 … 20 (0 stands for a gap). */
export function pageList(page: number, total: number): number[] {
  if (total <= 7) return Array.from({ length: total }, (_, i) => i + 1);
  const out = new Set([1, total, page - 1, page, page + 1]);
  if (page <= 3) [2, 3, 4].forEach((p) => out.add(p));
  if (page >= total - 2) [total - 3, total - 2, total - 1].forEach((p) => out.add(p));
  const sorted = [...out].filter((p) => p >= 1 && p <= total).sort((a, b) => a - b);
  const res: number[] = [];
  sorted.forEach((p, i) => {
    if (i && p - sorted[i - 1]! > 1) res.push(0);
    res.push(p);
  });
  return res;
}

/** OpenRouter credits (US dollars): `$0.0123`, more digits for tiny sums, `$0` for none. */
export function money(v: unknown): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '—';
  if (v === 0) return '$0';
  const a = Math.abs(v);
  const digits = a >= 100 ? 2 : a >= 1 ? 3 : a >= 0.01 ? 4 : 8;
  return `$${v.toFixed(digits).replace(/\.?0+$/, '')}`;
}
