// The key matrix: one row per key, weight editable in place, per-row actions.
// Rows are keyed by id so that polling updates them in place (focus, selection and scroll survive).
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Key } from '../api';
import { Sparkline } from '../chart';
import { useNow } from '../components';
import { countdown, dateTime, money, num, relTime } from '../format';
import { t, type MessageKey } from '../i18n/i18n';
import { Link, PATHS } from '../router';

export type SortField = 'status' | 'weight' | 'failures' | 'success_rate' | 'credit_remaining' | 'last_used';
export interface Sorting { sort: SortField | ''; order: 'asc' | 'desc' | '' }

/** good, warn or bad: how a row is coloured. */
export function health(k: Key): 'good' | 'warn' | 'bad' {
  if (k.status === 'inactive' || (k.success_rate !== null && k.success_rate !== undefined && k.success_rate < 0.5)) return 'bad';
  if (k.status === 'cooling' || (k.success_rate !== null && k.success_rate !== undefined && k.success_rate < 0.9)) return 'warn';
  return 'good';
}

export const statusLabel = (s: string) => t(`status.${s}` as MessageKey);

export interface RowActions {
  /** Saves a weight; resolves to an error message, or null when saved. */
  saveWeight: (id: string, weight: number) => Promise<string | null>;
  toggleActive: (k: Key) => void;
  check: (k: Key) => void;
  remove: (k: Key) => void;
  /** The id whose weight input has focus, or null. */
  editing: (id: string | null) => void;
}

interface TableProps {
  keys: Key[];
  selected: Set<string>;
  busy: Set<string>;
  onSelect: (id: string, on: boolean) => void;
  onSelectAll: (on: boolean) => void;
  actions: RowActions;
  sorting: Sorting;
  onSort: (field: SortField) => void;
  trends: Record<string, number[]>;
}

function SortHeader(props: { field: SortField; label: string; sorting: Sorting; onSort: (f: SortField) => void; title?: string }) {
  const on = props.sorting.sort === props.field;
  const arrow = on ? (props.sorting.order === 'desc' ? ' ↓' : ' ↑') : '';
  return (
    <th aria-sort={on ? (props.sorting.order === 'desc' ? 'descending' : 'ascending') : undefined} title={props.title}>
      <button type="button" class={`sort-button${on ? ' is-on' : ''}`} onClick={() => props.onSort(props.field)} data-testid={`sort-${props.field}`}>
        {props.label}{arrow}
      </button>
    </th>
  );
}

export function KeyTable(props: TableProps) {
  const now = useNow(1000);
  const all = props.keys.length > 0 && props.keys.every((k) => props.selected.has(k.id));
  const some = !all && props.keys.some((k) => props.selected.has(k.id));
  const selectAll = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (selectAll.current) selectAll.current.indeterminate = some;
  }, [some]);

  return (
    <div class="table-wrap">
      <table class="keys" data-testid="key-table">
        <thead>
          <tr>
            <th class="col-check">
              <label class="select-all">
                <input
                  ref={selectAll}
                  type="checkbox"
                  checked={all}
                  onChange={(e) => props.onSelectAll(e.currentTarget.checked)}
                  aria-label={t('keys.select_page')}
                  data-testid="select-all"
                />
                <span class="only-narrow">{t('keys.select_page')}</span>
              </label>
            </th>
            <SortHeader field="status" label={t('col.status')} sorting={props.sorting} onSort={props.onSort} />
            <th>{t('col.key')}</th>
            <SortHeader field="weight" label={t('col.weight')} sorting={props.sorting} onSort={props.onSort} />
            <SortHeader field="success_rate" label={t('col.success')} sorting={props.sorting} onSort={props.onSort} title={t('keys.success_title')} />
            <th>{t('col.trend')}</th>
            <SortHeader field="credit_remaining" label={t('col.credit')} sorting={props.sorting} onSort={props.onSort} />
            <SortHeader field="failures" label={t('col.failures')} sorting={props.sorting} onSort={props.onSort} title={t('keys.failures_title')} />
            <th>{t('col.requests')}</th>
            <SortHeader field="last_used" label={t('col.last_used')} sorting={props.sorting} onSort={props.onSort} />
            <th>{t('col.last_failure')}</th>
            <th>{t('col.cooldown')}</th>
            <th>{t('col.last_error')}</th>
            <th class="col-actions">{t('col.actions')}</th>
          </tr>
        </thead>
        <tbody>
          {props.keys.map((k) => (
            <KeyRow
              key={k.id}
              k={k}
              now={now}
              selected={props.selected.has(k.id)}
              busy={props.busy.has(k.id)}
              onSelect={props.onSelect}
              actions={props.actions}
              trend={props.trends[k.id]}
            />
          ))}
        </tbody>
      </table>
    </div>
  );
}

interface RowProps {
  k: Key;
  now: number;
  selected: boolean;
  busy: boolean;
  onSelect: (id: string, on: boolean) => void;
  actions: RowActions;
  trend?: number[];
}

function KeyRow({ k, now, selected, busy, onSelect, actions, trend }: RowProps) {
  const cooling = k.status === 'cooling' && k.cool_down_until;
  const freeRest = !cooling && k.free_cool_down_until;
  const h = health(k);
  const c = k.credit;
  return (
    <tr data-testid="key-row" data-key-id={k.id} data-status={k.status} data-health={h} class={`row-${k.status} health-${h}${selected ? ' is-selected' : ''}`}>
      <td class="col-check">
        <input
          type="checkbox"
          checked={selected}
          onChange={(e) => onSelect(k.id, e.currentTarget.checked)}
          aria-label={t('keys.select_key', { key: k.masked })}
          data-testid="key-select"
        />
      </td>
      <td data-label={t('col.status')} class="col-status">
        <span class={`badge badge-${k.status}`} data-testid="key-status">{statusLabel(k.status)}</span>
        {k.status === 'inactive' && k.inactive_since && <div class="muted small" title={dateTime(k.inactive_since)}>{t('keys.inactive_since', { when: relTime(k.inactive_since, now) })}</div>}
        {k.next_probe_at && <div class="muted small" title={dateTime(k.next_probe_at)} data-testid="key-next-probe">{t('keys.next_probe', { when: relTime(k.next_probe_at, now) })}</div>}
      </td>
      <td data-label={t('col.key')} class="col-key">
        <div class="key-cell">
          <Link href={`${PATHS.history}?key_id=${encodeURIComponent(k.id)}`} class="key-link" title={t('keys.history_link')} data-testid="key-history-link">
            <span class="mono">{k.masked}</span>
          </Link>
          <span class="mono muted small" data-testid="key-id">{k.id}</span>
          {(k.labels ?? []).length > 0 && (
            <span class="labels" data-testid="key-labels">{(k.labels ?? []).map((l) => <span key={l} class="label-chip">{l}</span>)}</span>
          )}
        </div>
      </td>
      <td data-label={t('col.weight')}>
        <WeightCell k={k} actions={actions} />
      </td>
      <td data-label={t('col.success')} data-testid="key-success">
        {k.success_rate === null || k.success_rate === undefined
          ? <span class="muted">—</span>
          : <span class={`rate rate-${h}`}>{Math.round(k.success_rate * 100)}%</span>}
        <div class="muted small">{t('keys.requests_24h', { n: num(k.requests_24h ?? 0) })}</div>
      </td>
      <td data-label={t('col.trend')} class="col-trend">
        {trend && trend.some((v) => v > 0) ? <Sparkline values={trend} label={t('keys.trend_label', { n: num(trend.reduce((a, b) => a + b, 0)) })} color={h === 'bad' ? '#d64545' : h === 'warn' ? '#e08a00' : '#1f9d55'} /> : <span class="muted">—</span>}
      </td>
      <td data-label={t('col.credit')} data-testid="key-credit" title={c ? t('keys.credit_title', { when: dateTime(c.checked_at) }) : undefined}>
        {!c ? <span class="muted">{t('keys.credit_unchecked')}</span> : c.limit_remaining === null
          ? <span>{t('keys.credit_no_limit')}<div class="muted small">{t('keys.credit_used', { usage: money(c.usage ?? 0) })}</div></span>
          : <span class={c.limit_remaining <= 0 ? 'text-bad' : ''}>{money(c.limit_remaining)}<span class="muted"> / {money(c.limit)}</span>
            <div class="muted small">{t('keys.credit_today', { usage: money(c.usage_daily ?? 0) })}</div></span>}
        {c?.is_free_tier && <div class="muted small">{t('keys.free_tier')}</div>}
      </td>
      <td data-label={t('col.failures')} title={t('keys.failures_title')}>
        <span>
          <span class={k.consecutive_failures ? 'text-warn' : ''} data-testid="key-consecutive-failures">{num(k.consecutive_failures)}</span>
          <span class="muted"> / </span>
          <span data-testid="key-total-failures">{num(k.total_failures)}</span>
        </span>
      </td>
      <td data-label={t('col.requests')} data-testid="key-requests">{num(k.total_requests)}</td>
      <td data-label={t('col.last_used')} title={dateTime(k.last_used_time)}>{relTime(k.last_used_time, now)}</td>
      <td data-label={t('col.last_failure')} title={dateTime(k.last_failure_time)}>{relTime(k.last_failure_time, now)}</td>
      <td data-label={t('col.cooldown')}>
        {cooling ? (
          <span class="countdown mono" title={t('keys.until', { when: dateTime(k.cool_down_until) })} data-testid="key-cooldown">
            {countdown(k.cool_down_until, now)}
          </span>
        ) : freeRest ? (
          <span class="countdown mono" title={t('keys.free_until', { when: dateTime(k.free_cool_down_until ?? null) })} data-testid="key-free-cooldown">
            {t('keys.free_countdown', { time: countdown(k.free_cool_down_until ?? null, now) })}
          </span>
        ) : (
          <span class="muted">—</span>
        )}
      </td>
      <td data-label={t('col.last_error')} class={`col-error${k.last_error ? '' : ' is-empty'}`}>
        {k.last_error ? <span class="error-text" title={k.last_error}>{k.last_error}</span> : <span class="muted">—</span>}
      </td>
      <td class="col-actions">
        <div class="actions">
          <button type="button" class="btn btn-small" disabled={busy} onClick={() => actions.toggleActive(k)} data-testid="key-toggle">
            {k.status === 'active' ? t('keys.deactivate') : t('keys.activate')}
          </button>
          <button type="button" class="btn btn-small" disabled={busy} onClick={() => actions.check(k)} data-testid="key-check">
            {t('keys.check_now')}
          </button>
          <button type="button" class="btn btn-small btn-danger-ghost" disabled={busy} onClick={() => actions.remove(k)} data-testid="key-delete">
            {t('keys.delete')}
          </button>
        </div>
      </td>
    </tr>
  );
}

/** The weight input: keeps its own draft while focused; saves on Enter or blur; Escape reverts. */
function WeightCell({ k, actions }: { k: Key; actions: RowActions }) {
  const [draft, setDraft] = useState<string | null>(null);
  const [error, setError] = useState('');
  const [saved, setSaved] = useState(false);
  const draftRef = useRef<string | null>(null);
  const saving = useRef(false);
  const weightRef = useRef(k.weight);
  weightRef.current = k.weight;

  const set = (v: string | null) => {
    draftRef.current = v;
    setDraft(v);
  };

  useEffect(() => {
    if (!saved) return;
    const t = setTimeout(() => setSaved(false), 1500);
    return () => clearTimeout(t);
  }, [saved]);

  /** true when there is nothing left to save. */
  const save = async (): Promise<boolean> => {
    const text = (draftRef.current ?? '').trim();
    if (draftRef.current === null || text === String(weightRef.current)) {
      setError('');
      return true;
    }
    const n = Number(text);
    if (text === '' || !Number.isFinite(n)) {
      setError(t('keys.enter_number'));
      return false;
    }
    if (saving.current) return false;
    saving.current = true;
    const err = await actions.saveWeight(k.id, n);
    saving.current = false;
    if (err) {
      setError(err);
      return false;
    }
    weightRef.current = n;
    setError('');
    setSaved(true);
    return true;
  };

  return (
    <div class="weight-cell">
      <input
        type="number"
        inputMode="numeric"
        min={1}
        step={1}
        class={`weight-input${error ? ' is-invalid' : ''}${saved ? ' is-saved' : ''}`}
        value={draft ?? String(k.weight)}
        aria-label={t('keys.weight_of', { key: k.masked })}
        aria-invalid={error ? true : undefined}
        data-testid="weight-input"
        onFocus={() => {
          if (draftRef.current === null) set(String(k.weight));
          actions.editing(k.id);
        }}
        onInput={(e) => {
          set(e.currentTarget.value);
          setError('');
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            save();
          } else if (e.key === 'Escape') {
            set(String(weightRef.current));
            setError('');
            e.currentTarget.blur();
          }
        }}
        onBlur={async () => {
          actions.editing(null);
          if (await save()) set(null);
        }}
      />
      {error && <div class="cell-error" role="alert" data-testid="weight-error">{error}</div>}
    </div>
  );
}
