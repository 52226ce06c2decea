// The dashboard: status chips, search, the key matrix with batch delete, pagination, and the add box.
// Polls the current page every 3 s; keeps selection, the weight being edited and the scroll position.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { type Key, type KeyPage, type KeyStatus, api, errorText } from '../api';
import { ConfirmDialog, Notice, type Tone, Pager, useDebounced, usePolling } from '../components';
import { keyShort, num } from '../format';
import { setSearch } from '../router';
import { AddKeys } from './add-keys';
import { KeyTable, type RowActions } from './key-table';

const STATUSES: KeyStatus[] = ['active', 'cooling', 'inactive', 'disabled'];
const SIZES = [10, 25, 50, 100];
const POLL_MS = 3000;

type Confirm = { kind: 'batch'; ids: string[] } | { kind: 'one'; key: Key };

function initial() {
  const p = new URLSearchParams(location.search);
  const limit = Number(p.get('limit'));
  const status = p.get('status') as KeyStatus | null;
  return {
    page: Math.max(1, Number(p.get('page')) || 1),
    limit: SIZES.includes(limit) ? limit : 25,
    status: (status && STATUSES.includes(status) ? status : '') as KeyStatus | '',
    q: p.get('q') ?? '',
  };
}

export function DashboardPage() {
  const [init] = useState(initial);
  const [page, setPage] = useState(init.page);
  const [limit, setLimit] = useState(init.limit);
  const [status, setStatus] = useState<KeyStatus | ''>(init.status);
  const [qInput, setQInput] = useState(init.q);
  const q = useDebounced(qInput.trim(), 300);
  const [data, setData] = useState<KeyPage | null>(null);
  const [loadError, setLoadError] = useState('');
  const [selected, setSelected] = useState<Set<string>>(() => new Set());
  const [busy, setBusy] = useState<Set<string>>(() => new Set());
  const [notice, setNotice] = useState<{ tone: Tone; text: string } | null>(null);
  const [confirm, setConfirm] = useState<Confirm | null>(null);
  const [confirmBusy, setConfirmBusy] = useState(false);
  const editing = useRef<string | null>(null);
  const gen = useRef(0);
  const inFlight = useRef(false);

  useEffect(() => {
    setSearch({ page: page > 1 ? page : null, limit: limit !== 25 ? limit : null, status, q });
  }, [page, limit, status, q]);

  const load = useCallback(async (force = false) => {
    if (inFlight.current && !force) return;
    const mine = ++gen.current;
    inFlight.current = true;
    try {
      const res = await api.keys({ page, limit, status, q });
      if (mine !== gen.current) return;
      if (res.total_pages > 0 && page > res.total_pages) {
        setPage(res.total_pages);
        return;
      }
      setData((prev) => {
        // Leave the row being edited exactly as it was.
        const id = editing.current;
        const old = id && prev?.keys.find((k) => k.id === id);
        return old ? { ...res, keys: res.keys.map((k) => (k.id === id ? old : k)) } : res;
      });
      setSelected((sel) => {
        if (!sel.size) return sel;
        const ids = new Set(res.keys.map((k) => k.id));
        const kept = [...sel].filter((x) => ids.has(x));
        return kept.length === sel.size ? sel : new Set(kept);
      });
      setLoadError('');
    } catch (e) {
      if (mine === gen.current) setLoadError(errorText(e));
    } finally {
      if (mine === gen.current) inFlight.current = false;
    }
  }, [page, limit, status, q]);

  useEffect(() => {
    load(true);
  }, [load]);
  usePolling(() => load(), POLL_MS);

  const changeView = (fn: () => void) => {
    fn();
    setSelected(new Set());
  };
  const lastQ = useRef(q);
  useEffect(() => {
    if (lastQ.current === q) return;
    lastQ.current = q;
    changeView(() => setPage(1));
  }, [q]);

  const mark = (id: string, on: boolean) =>
    setBusy((b) => {
      const n = new Set(b);
      if (on) n.add(id);
      else n.delete(id);
      return n;
    });

  const putRow = (k: Key) => setData((d) => d && { ...d, keys: d.keys.map((x) => (x.id === k.id ? k : x)) });

  const rowCommand = async (k: Key, run: () => Promise<Key>, done: (k: Key) => string) => {
    mark(k.id, true);
    try {
      const updated = await run();
      putRow(updated);
      setNotice({ tone: 'success', text: done(updated) });
      load(true);
    } catch (e) {
      setNotice({ tone: 'error', text: `${keyShort(k.masked, k.id)}: ${errorText(e)}` });
    } finally {
      mark(k.id, false);
    }
  };

  const actions: RowActions = {
    saveWeight: async (id, weight) => {
      try {
        putRow(await api.patchKey(id, { weight }));
        return null;
      } catch (e) {
        return errorText(e);
      }
    },
    toggleActive: (k) =>
      rowCommand(k, () => api.patchKey(k.id, { active: k.status !== 'active' }), (u) => `Key ${keyShort(u.masked, u.id)} is now ${u.status}.`),
    check: (k) =>
      rowCommand(k, () => api.checkKey(k.id), (u) => `Checked key ${keyShort(u.masked, u.id)}: ${u.status}${u.last_error && u.status !== 'active' ? ` (${u.last_error})` : ''}.`),
    remove: (k) => setConfirm({ kind: 'one', key: k }),
    editing: (id) => {
      editing.current = id;
    },
  };

  const runConfirm = async () => {
    if (!confirm) return;
    setConfirmBusy(true);
    try {
      if (confirm.kind === 'batch') {
        const r = await api.deleteKeys(confirm.ids);
        setNotice({ tone: r.deleted_count === r.requested_count ? 'success' : 'info', text: r.message || `Deleted ${r.deleted_count} of ${r.requested_count} keys.` });
        setSelected(new Set());
      } else {
        const r = await api.deleteKey(confirm.key.id);
        setNotice({ tone: 'success', text: r.message || `Deleted key ${keyShort(confirm.key.masked, confirm.key.id)}.` });
        setSelected((s) => {
          const n = new Set(s);
          n.delete(confirm.key.id);
          return n;
        });
      }
      setConfirm(null);
      load(true);
    } catch (e) {
      setConfirm(null);
      setNotice({ tone: 'error', text: errorText(e) });
    } finally {
      setConfirmBusy(false);
    }
  };

  const counts = data?.counts ?? { active: 0, cooling: 0, inactive: 0, disabled: 0 };
  const total = STATUSES.reduce((s, k) => s + (counts[k] ?? 0), 0);
  const keys = data?.keys ?? [];

  return (
    <section class="page">
      <div class="page-head">
        <h1>Keys</h1>
        <span class="muted" data-testid="key-total">{data ? `${num(total)} in the pool` : ''}</span>
      </div>

      <AddKeys onAdded={() => load(true)} />

      <div class="chips" role="group" aria-label="Filter by status">
        <Chip label="All" count={total} on={status === ''} onClick={() => changeView(() => { setStatus(''); setPage(1); })} testid="filter-all" />
        {STATUSES.map((s) => (
          <Chip key={s} label={s} tone={s} count={counts[s] ?? 0} on={status === s} onClick={() => changeView(() => { setStatus(s); setPage(1); })} testid={`filter-${s}`} />
        ))}
      </div>

      <div class="toolbar">
        <input
          type="search"
          class="search"
          placeholder="Search by id or key suffix"
          value={qInput}
          onInput={(e) => setQInput(e.currentTarget.value)}
          aria-label="Search keys"
          data-testid="key-search"
        />
        <label class="inline-field">
          <span class="muted small">Per page</span>
          <select value={String(limit)} onChange={(e) => changeView(() => { setLimit(Number(e.currentTarget.value)); setPage(1); })} data-testid="page-size">
            {SIZES.map((n) => <option key={n} value={String(n)}>{n}</option>)}
          </select>
        </label>
        <div class="toolbar-end">
          <span class="muted small" data-testid="selected-count">{selected.size ? `${selected.size} selected` : ''}</span>
          <button
            type="button"
            class="btn btn-danger"
            disabled={!selected.size}
            onClick={() => setConfirm({ kind: 'batch', ids: [...selected] })}
            data-testid="batch-delete"
          >
            Delete selected
          </button>
        </div>
      </div>

      {notice && <Notice tone={notice.tone} testid="dashboard-notice" onClose={() => setNotice(null)}>{notice.text}</Notice>}
      {loadError && <Notice tone="error" testid="load-error">Could not refresh the keys: {loadError}</Notice>}

      {!data && !loadError && <p class="muted">Loading keys…</p>}
      {data && keys.length === 0 && (
        <div class="empty" data-testid="key-empty">{status || q ? 'No keys match this filter.' : 'No keys yet. Add some above.'}</div>
      )}
      {keys.length > 0 && (
        <KeyTable
          keys={keys}
          selected={selected}
          busy={busy}
          onSelect={(id, on) =>
            setSelected((s) => {
              const n = new Set(s);
              if (on) n.add(id);
              else n.delete(id);
              return n;
            })
          }
          onSelectAll={(on) => setSelected(on ? new Set(keys.map((k) => k.id)) : new Set())}
          actions={actions}
        />
      )}
      {data && (
        <div class="table-foot">
          <span class="muted small">
            {data.total_keys ? `${num((data.page - 1) * data.limit + 1)}–${num(Math.min(data.page * data.limit, data.total_keys))} of ${num(data.total_keys)}` : ''}
          </span>
          <Pager page={data.page} totalPages={data.total_pages} onPage={(p) => changeView(() => setPage(p))} />
        </div>
      )}

      {confirm && (
        <ConfirmDialog
          title={confirm.kind === 'batch' ? `Delete ${confirm.ids.length} key${confirm.ids.length === 1 ? '' : 's'}?` : `Delete key ${keyShort(confirm.key.masked, confirm.key.id)}?`}
          confirmLabel="Delete"
          busy={confirmBusy}
          onConfirm={runConfirm}
          onCancel={() => !confirmBusy && setConfirm(null)}
        >
          <p>
            {confirm.kind === 'batch'
              ? 'The selected keys and their secrets are removed from the pool. Their history stays in the audit log.'
              : `Key ${confirm.key.masked} (id ${confirm.key.id}) and its secret are removed from the pool. Its history stays in the audit log.`}
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function Chip(props: { label: string; count: number; on: boolean; tone?: KeyStatus; onClick: () => void; testid: string }) {
  return (
    <button type="button" class={`chip${props.on ? ' is-on' : ''}${props.tone ? ` chip-${props.tone}` : ''}`} aria-pressed={props.on} onClick={props.onClick} data-testid={props.testid}>
      <span class="chip-label">{props.label}</span>
      <span class="chip-count" data-testid={`${props.testid}-count`}>{num(props.count)}</span>
    </button>
  );
}
