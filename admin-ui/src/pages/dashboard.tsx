// The dashboard: status chips, search, the key matrix with batch delete, pagination, and the add box.
// Polls the current page every 3 s; keeps selection, the weight being edited and the scroll position.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { type Key, type KeyPage, type KeyStatus, api, errorText } from '../api';
import { ConfirmDialog, Notice, type Tone, Pager, useDebounced, usePolling } from '../components';
import { keyShort, num } from '../format';
import { t } from '../i18n/i18n';
import { setSearch } from '../router';
import { AddKeys } from './add-keys';
import { BulkBar } from './bulk-bar';
import { KeyTable, statusLabel, type RowActions, type SortField, type Sorting } from './key-table';

const STATUSES: KeyStatus[] = ['active', 'cooling', 'inactive', 'disabled'];
const SIZES = [10, 25, 50, 100];
const POLL_MS = 3000;
const SORTS: SortField[] = ['status', 'weight', 'failures', 'success_rate', 'credit_remaining', 'last_used'];
/** The first click sorts the worst first (as the server's default order does). */
const WORST_FIRST: Record<SortField, 'asc' | 'desc'> = { status: 'asc', success_rate: 'asc', credit_remaining: 'asc', weight: 'desc', failures: 'desc', last_used: 'desc' };

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
    label: p.get('label') ?? '',
    sort: (SORTS.includes(p.get('sort') as SortField) ? p.get('sort') : '') as SortField | '',
    order: (p.get('order') === 'asc' || p.get('order') === 'desc' ? p.get('order') : '') as 'asc' | 'desc' | '',
  };
}

export function DashboardPage() {
  const [init] = useState(initial);
  const [page, setPage] = useState(init.page);
  const [limit, setLimit] = useState(init.limit);
  const [status, setStatus] = useState<KeyStatus | ''>(init.status);
  const [qInput, setQInput] = useState(init.q);
  const q = useDebounced(qInput.trim(), 300);
  const [labelInput, setLabelInput] = useState(init.label);
  const label = useDebounced(labelInput.trim(), 300);
  const [sorting, setSorting] = useState<Sorting>({ sort: init.sort, order: init.order });
  const [allMatching, setAllMatching] = useState(false);
  const [trends, setTrends] = useState<Record<string, number[]>>({});
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
    setSearch({ page: page > 1 ? page : null, limit: limit !== 25 ? limit : null, status, q, label, sort: sorting.sort, order: sorting.sort ? sorting.order : '' });
  }, [page, limit, status, q, label, sorting]);

  const load = useCallback(async (force = false) => {
    if (inFlight.current && !force) return;
    const mine = ++gen.current;
    inFlight.current = true;
    try {
      const res = await api.keys({ page, limit, status, q, label, sort: sorting.sort, order: sorting.sort ? sorting.order : '' });
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
      if (res.keys.length) api.keyTrends(res.keys.map((k) => k.id)).then((r) => mine === gen.current && setTrends(r.trends), () => undefined);
    } catch (e) {
      if (mine === gen.current) setLoadError(errorText(e));
    } finally {
      if (mine === gen.current) inFlight.current = false;
    }
  }, [page, limit, status, q, label, sorting]);

  useEffect(() => {
    load(true);
  }, [load]);
  usePolling(() => load(), POLL_MS);

  const changeView = (fn: () => void) => {
    fn();
    setSelected(new Set());
    setAllMatching(false);
  };
  const lastQ = useRef(q + '\n' + label);
  useEffect(() => {
    if (lastQ.current === q + '\n' + label) return;
    lastQ.current = q + '\n' + label;
    changeView(() => setPage(1));
  }, [q, label]);
  const sortBy = (field: SortField) => changeView(() => {
    setSorting((s) => (s.sort === field ? { sort: field, order: s.order === 'asc' ? 'desc' : 'asc' } : { sort: field, order: WORST_FIRST[field] }));
    setPage(1);
  });

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
      rowCommand(k, () => api.patchKey(k.id, { active: k.status !== 'active' }), (u) => t('keys.now_status', { key: keyShort(u.masked, u.id), status: statusLabel(u.status) })),
    check: (k) =>
      rowCommand(k, () => api.checkKey(k.id), (u) => t('keys.checked', { key: keyShort(u.masked, u.id), status: statusLabel(u.status) }) + (u.last_error && u.status !== 'active' ? ` (${u.last_error})` : '')),
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
        setNotice({ tone: r.deleted_count === r.requested_count ? 'success' : 'info', text: t('keys.deleted_n', { n: r.deleted_count, of: r.requested_count }) });
        setSelected(new Set());
      } else {
        const r = await api.deleteKey(confirm.key.id);
        void r;
        setNotice({ tone: 'success', text: t('keys.deleted_one', { key: keyShort(confirm.key.masked, confirm.key.id) }) });
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
        <h1>{t('keys.title')}</h1>
        <span class="muted" data-testid="key-total">{data ? t('keys.in_pool', { n: num(total) }) : ''}</span>
      </div>

      <AddKeys onAdded={() => load(true)} />

      <div class="chips" role="group" aria-label={t('keys.filter_status')}>
        <Chip label={t('keys.all')} count={total} on={status === ''} onClick={() => changeView(() => { setStatus(''); setPage(1); })} testid="filter-all" />
        {STATUSES.map((s) => (
          <Chip key={s} label={statusLabel(s)} tone={s} count={counts[s] ?? 0} on={status === s} onClick={() => changeView(() => { setStatus(s); setPage(1); })} testid={`filter-${s}`} />
        ))}
        <button type="button" class={`chip chip-worst${sorting.sort === 'success_rate' && sorting.order === 'asc' ? ' is-on' : ''}`} onClick={() => changeView(() => { setSorting({ sort: 'success_rate', order: 'asc' }); setPage(1); })} data-testid="worst-first">
          <span class="chip-label">{t('keys.worst_first')}</span>
        </button>
      </div>

      <div class="toolbar">
        <input
          type="search"
          class="search"
          placeholder={t('keys.search')}
          value={qInput}
          onInput={(e) => setQInput(e.currentTarget.value)}
          aria-label={t('keys.search')}
          data-testid="key-search"
        />
        <input
          type="search"
          class="search search-label"
          placeholder={t('keys.label_filter')}
          value={labelInput}
          onInput={(e) => setLabelInput(e.currentTarget.value)}
          aria-label={t('keys.label_filter')}
          data-testid="label-filter"
        />
        <label class="inline-field">
          <span class="muted small">{t('keys.per_page')}</span>
          <select value={String(limit)} onChange={(e) => changeView(() => { setLimit(Number(e.currentTarget.value)); setPage(1); })} data-testid="page-size">
            {SIZES.map((n) => <option key={n} value={String(n)}>{n}</option>)}
          </select>
        </label>
        <div class="toolbar-end">
          <span class="muted small" data-testid="selected-count">
            {allMatching ? t('keys.all_matching_selected', { n: num(data?.total_keys ?? 0) }) : selected.size ? t('keys.selected', { n: selected.size }) : ''}
          </span>
          {data && keys.length > 0 && keys.every((k) => selected.has(k.id)) && data.total_keys > keys.length && !allMatching && (
            <button type="button" class="btn btn-small btn-ghost" onClick={() => setAllMatching(true)} data-testid="select-all-matching">
              {t('keys.select_all_matching', { n: num(data.total_keys) })}
            </button>
          )}
          {allMatching && (
            <button type="button" class="btn btn-small btn-ghost" onClick={() => { setAllMatching(false); setSelected(new Set()); }} data-testid="clear-selection">
              {t('keys.clear_selection')}
            </button>
          )}
          <button
            type="button"
            class="btn btn-danger"
            disabled={!selected.size || allMatching}
            onClick={() => setConfirm({ kind: 'batch', ids: [...selected] })}
            data-testid="batch-delete"
          >
            {t('keys.delete_selected')}
          </button>
        </div>
      </div>

      {(selected.size > 0 || allMatching) && (
        <BulkBar
          selected={[...selected]}
          allMatching={allMatching}
          filter={{ status: status || undefined, q: q || undefined, label: label || undefined }}
          onDone={(text, ok) => { setNotice({ tone: ok ? 'success' : 'error', text }); setSelected(new Set()); setAllMatching(false); load(true); }}
        />
      )}

      {notice && <Notice tone={notice.tone} testid="dashboard-notice" onClose={() => setNotice(null)}>{notice.text}</Notice>}
      {loadError && <Notice tone="error" testid="load-error">{t('keys.load_error', { error: loadError })}</Notice>}

      {!data && !loadError && <p class="muted">{t('common.loading')}</p>}
      {data && keys.length === 0 && (
        <div class="empty" data-testid="key-empty">{status || q || label ? t('keys.none_match') : t('keys.none_yet')}</div>
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
          onSelectAll={(on) => { setSelected(on ? new Set(keys.map((k) => k.id)) : new Set()); if (!on) setAllMatching(false); }}
          actions={actions}
          sorting={sorting}
          onSort={sortBy}
          trends={trends}
        />
      )}
      {data && (
        <div class="table-foot">
          <span class="muted small">
            {data.total_keys ? t('common.range', { from: num((data.page - 1) * data.limit + 1), to: num(Math.min(data.page * data.limit, data.total_keys)), total: num(data.total_keys) }) : ''}
          </span>
          <Pager page={data.page} totalPages={data.total_pages} onPage={(p) => changeView(() => setPage(p))} />
        </div>
      )}

      {confirm && (
        <ConfirmDialog
          title={confirm.kind === 'batch' ? t('keys.confirm_delete_n', { n: confirm.ids.length }) : t('keys.confirm_delete_one', { key: keyShort(confirm.key.masked, confirm.key.id) })}
          confirmLabel={t('keys.delete')}
          busy={confirmBusy}
          onConfirm={runConfirm}
          onCancel={() => !confirmBusy && setConfirm(null)}
        >
          <p>
            {confirm.kind === 'batch'
              ? t('keys.confirm_delete_n_body')
              : t('keys.confirm_delete_one_body', { key: confirm.key.masked, id: confirm.key.id })}
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
