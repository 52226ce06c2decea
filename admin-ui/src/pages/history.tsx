// The audit history: GET /admin/events, newest first, filtered by key id and event type.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { type AuditEvent, type EventPage, api, errorText } from '../api';
import { Notice, Pager, useDebounced, useNow, usePolling } from '../components';
import { EVENT_TYPES, USAGE_TYPES, dateTime, eventSentence, keyShort, num, relTime } from '../format';
import { t, type MessageKey } from '../i18n/i18n';
import { setSearch } from '../router';

type Category = 'changes' | 'usage' | 'all';
const CATEGORIES: Category[] = ['changes', 'usage', 'all'];

const LIMIT = 50;

function initial() {
  const p = new URLSearchParams(location.search);
  const c = p.get('category') as Category | null;
  return {
    key_id: p.get('key_id') ?? '', type: p.get('type') ?? '', page: Math.max(1, Number(p.get('page')) || 1),
    category: c && CATEGORIES.includes(c) ? c : 'changes' as Category, live: p.get('live') !== 'off',
  };
}

export function HistoryPage() {
  const [init] = useState(initial);
  const [keyInput, setKeyInput] = useState(init.key_id);
  const keyId = useDebounced(keyInput.trim(), 300);
  const [type, setType] = useState(init.type);
  const [page, setPage] = useState(init.page);
  const [category, setCategory] = useState<Category>(init.category);
  const [live, setLive] = useState(init.live);
  const [data, setData] = useState<EventPage | null>(null);
  const [error, setError] = useState('');
  const [loading, setLoading] = useState(false);
  const now = useNow(15000);

  useEffect(() => {
    setSearch({ key_id: keyId, type, page: page > 1 ? page : null, category: category !== 'changes' ? category : null, live: live ? null : 'off' });
  }, [keyId, type, page, category, live]);

  const gen = useRef(0);
  const load = useCallback(async () => {
    const mine = ++gen.current;
    setLoading(true);
    try {
      // A chosen type wins over the category (a usage type stays findable from the default view).
      const d = await api.events({ page, limit: LIMIT, key_id: keyId, type, category: type ? 'all' : category });
      if (mine !== gen.current) return;
      setData(d);
      setError('');
    } catch (e) {
      if (mine === gen.current) setError(errorText(e));
    } finally {
      if (mine === gen.current) setLoading(false);
    }
  }, [page, keyId, type, category]);
  useEffect(() => {
    load();
  }, [load]);
  // Auto-refresh shows new events as they happen, on the first page only (a later page would shift).
  usePolling(() => { if (live && page === 1) load(); }, 5000);

  const filterKey = (id: string) => {
    setKeyInput(id);
    setPage(1);
    window.scrollTo(0, 0);
  };

  const events = data?.events ?? [];
  return (
    <section class="page">
      <div class="page-head">
        <h1>{t('history.title')}</h1>
        <span class="muted small" data-testid="history-total">{data ? t(data.total === 1 ? 'history.one_event' : 'history.n_events', { n: num(data.total) }) : ''}</span>
        <label class="inline-field small">
          <input type="checkbox" checked={live} onChange={(e) => setLive(e.currentTarget.checked)} data-testid="history-live" />
          <span>{t('history.live')}</span>
        </label>
        <button type="button" class="btn btn-small" onClick={load} disabled={loading} data-testid="history-refresh">{t('common.refresh')}</button>
      </div>
      <div class="chips" role="group" aria-label={t('history.category')}>
        {CATEGORIES.map((c) => (
          <button key={c} type="button" class={`chip${c === category ? ' is-on' : ''}`} aria-pressed={c === category} onClick={() => { setCategory(c); setPage(1); }} data-testid={`category-${c}`}>
            <span class="chip-label">{t(`history.category_${c}` as MessageKey)}</span>
          </button>
        ))}
      </div>
      <div class="toolbar">
        <input
          type="search"
          class="search"
          placeholder={t('history.key_placeholder')}
          value={keyInput}
          onInput={(e) => {
            setKeyInput(e.currentTarget.value);
            setPage(1);
          }}
          aria-label={t('history.key_filter')}
          spellcheck={false}
          data-testid="history-key-filter"
        />
        <select
          value={type}
          onChange={(e) => {
            setType(e.currentTarget.value);
            setPage(1);
          }}
          aria-label={t('history.type_filter')}
          data-testid="history-type-filter"
        >
          <option value="">{t('history.all_types')}</option>
          {EVENT_TYPES.filter((x) => category === 'all' || (category === 'usage') === USAGE_TYPES.includes(x) || x === type).map((x) => <option key={x} value={x}>{x}</option>)}
        </select>
        {(keyInput || type) && (
          <button type="button" class="btn btn-ghost btn-small" onClick={() => { setKeyInput(''); setType(''); setPage(1); }} data-testid="history-clear">
            {t('history.clear')}
          </button>
        )}
      </div>
      {error && <Notice tone="error" testid="history-error">{error}</Notice>}
      {!data && !error && <p class="muted">{t('common.loading')}</p>}
      {data && events.length === 0 && <div class="empty" data-testid="history-empty">{t('history.empty')}</div>}
      {events.length > 0 && (
        <ol class="events" data-testid="history-list">
          {events.map((ev) => <EventItem key={ev.seq} ev={ev} now={now} onKey={filterKey} />)}
        </ol>
      )}
      {data && <Pager page={data.page} totalPages={data.total_pages} onPage={(p) => { setPage(p); window.scrollTo(0, 0); }} />}
    </section>
  );
}

function tone(type: string): string {
  if (/Failed|Deactivated|Deleted/.test(type)) return 'bad';
  if (/Cooled/.test(type)) return 'warn';
  if (/Added|Reactivated|Succeeded/.test(type)) return 'good';
  return 'plain';
}

function EventItem({ ev, now, onKey }: { ev: AuditEvent; now: number; onKey: (id: string) => void }) {
  return (
    <li class="event" data-testid="history-entry" data-type={ev.type} data-seq={ev.seq}>
      <div class="event-meta">
        <time class="small" title={dateTime(ev.at)} dateTime={typeof ev.at === 'string' ? ev.at : undefined}>
          {dateTime(ev.at)} <span class="muted">· {relTime(ev.at, now)}</span>
        </time>
        <span class={`tag tag-${tone(ev.type)}`}>{ev.type}</span>
        {ev.key_id && (
          <button type="button" class="link mono small" title={t('history.only_key', { id: ev.key_id })} onClick={() => onKey(ev.key_id!)} data-testid="history-key">
            {ev.masked || keyShort(null, ev.key_id)}
          </button>
        )}
        {ev.actor && <span class="muted small">{t('history.by', { actor: ev.actor })}</span>}
      </div>
      <p class="event-text" data-testid="history-sentence">{eventSentence(ev)}</p>
    </li>
  );
}
