// The key matrix: one row per key, weight editable in place, per-row actions.
// Rows are keyed by id so that polling updates them in place (focus, selection and scroll survive).
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Key } from '../api';
import { useNow } from '../components';
import { countdown, dateTime, num, relTime } from '../format';
import { Link, PATHS } from '../router';

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
                  aria-label="Select all keys on this page"
                  data-testid="select-all"
                />
                <span class="only-narrow">Select all on this page</span>
              </label>
            </th>
            <th>Status</th>
            <th>Key</th>
            <th>Weight</th>
            <th title="consecutive / total">Failures</th>
            <th>Requests</th>
            <th>Last used</th>
            <th>Last failure</th>
            <th>Cooldown</th>
            <th>Last error</th>
            <th class="col-actions">Actions</th>
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
}

function KeyRow({ k, now, selected, busy, onSelect, actions }: RowProps) {
  const cooling = k.status === 'cooling' && k.cool_down_until;
  const freeRest = !cooling && k.free_cool_down_until;
  return (
    <tr data-testid="key-row" data-key-id={k.id} data-status={k.status} class={`row-${k.status}${selected ? ' is-selected' : ''}`}>
      <td class="col-check">
        <input
          type="checkbox"
          checked={selected}
          onChange={(e) => onSelect(k.id, e.currentTarget.checked)}
          aria-label={`Select key ${k.masked}`}
          data-testid="key-select"
        />
      </td>
      <td data-label="Status">
        <span class={`badge badge-${k.status}`} data-testid="key-status">{k.status}</span>
      </td>
      <td data-label="Key" class="col-key">
        <div class="key-cell">
          <Link href={`${PATHS.history}?key_id=${encodeURIComponent(k.id)}`} class="key-link" title="Show this key's history" data-testid="key-history-link">
            <span class="mono">{k.masked}</span>
          </Link>
          <span class="mono muted small" data-testid="key-id">{k.id}</span>
        </div>
      </td>
      <td data-label="Weight">
        <WeightCell k={k} actions={actions} />
      </td>
      <td data-label="Failures" title="consecutive / total">
        <span>
          <span class={k.consecutive_failures ? 'text-warn' : ''} data-testid="key-consecutive-failures">{num(k.consecutive_failures)}</span>
          <span class="muted"> / </span>
          <span data-testid="key-total-failures">{num(k.total_failures)}</span>
        </span>
      </td>
      <td data-label="Requests" data-testid="key-requests">{num(k.total_requests)}</td>
      <td data-label="Last used" title={dateTime(k.last_used_time)}>{relTime(k.last_used_time, now)}</td>
      <td data-label="Last failure" title={dateTime(k.last_failure_time)}>{relTime(k.last_failure_time, now)}</td>
      <td data-label="Cooldown">
        {cooling ? (
          <span class="countdown mono" title={`until ${dateTime(k.cool_down_until)}`} data-testid="key-cooldown">
            {countdown(k.cool_down_until, now)}
          </span>
        ) : freeRest ? (
          <span class="countdown mono" title={`not used for :free models until ${dateTime(k.free_cool_down_until ?? null)}; paid models still go`} data-testid="key-free-cooldown">
            free {countdown(k.free_cool_down_until ?? null, now)}
          </span>
        ) : (
          <span class="muted">—</span>
        )}
      </td>
      <td data-label="Last error" class={`col-error${k.last_error ? '' : ' is-empty'}`}>
        {k.last_error ? <span class="error-text" title={k.last_error}>{k.last_error}</span> : <span class="muted">—</span>}
      </td>
      <td class="col-actions">
        <div class="actions">
          <button type="button" class="btn btn-small" disabled={busy} onClick={() => actions.toggleActive(k)} data-testid="key-toggle">
            {k.status === 'active' ? 'Deactivate' : 'Activate'}
          </button>
          <button type="button" class="btn btn-small" disabled={busy} onClick={() => actions.check(k)} data-testid="key-check">
            Check now
          </button>
          <button type="button" class="btn btn-small btn-danger-ghost" disabled={busy} onClick={() => actions.remove(k)} data-testid="key-delete">
            Delete
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
      setError('Enter a number.');
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
        aria-label={`Weight of key ${k.masked}`}
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
