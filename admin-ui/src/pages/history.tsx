// The audit history: GET /admin/events, newest first, filtered by key id and event type.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { type AuditEvent, type EventPage, api, errorText } from '../api';
import { Notice, Pager, useDebounced, useNow } from '../components';
import { EVENT_TYPES, dateTime, eventSentence, keyShort, num, relTime } from '../format';
import { setSearch } from '../router';

const LIMIT = 50;

function initial() {
  const p = new URLSearchParams(location.search);
  return { key_id: p.get('key_id') ?? '', type: p.get('type') ?? '', page: Math.max(1, Number(p.get('page')) || 1) };
}

export function HistoryPage() {
  const [init] = useState(initial);
  const [keyInput, setKeyInput] = useState(init.key_id);
  const keyId = useDebounced(keyInput.trim(), 300);
  const [type, setType] = useState(init.type);
  const [page, setPage] = useState(init.page);
  const [data, setData] = useState<EventPage | null>(null);
  const [error, setError] = useState('');
  const [loading, setLoading] = useState(false);
  const now = useNow(15000);

  useEffect(() => {
    setSearch({ key_id: keyId, type, page: page > 1 ? page : null });
  }, [keyId, type, page]);

  const gen = useRef(0);
  const load = useCallback(async () => {
    const mine = ++gen.current;
    setLoading(true);
    try {
      const d = await api.events({ page, limit: LIMIT, key_id: keyId, type });
      if (mine !== gen.current) return;
      setData(d);
      setError('');
    } catch (e) {
      if (mine === gen.current) setError(errorText(e));
    } finally {
      if (mine === gen.current) setLoading(false);
    }
  }, [page, keyId, type]);
  useEffect(() => {
    load();
  }, [load]);

  const filterKey = (id: string) => {
    setKeyInput(id);
    setPage(1);
    window.scrollTo(0, 0);
  };

  const events = data?.events ?? [];
  return (
    <section class="page">
      <div class="page-head">
        <h1>History</h1>
        <span class="muted small" data-testid="history-total">{data ? `${num(data.total)} event${data.total === 1 ? '' : 's'}` : ''}</span>
        <button type="button" class="btn btn-small" onClick={load} disabled={loading} data-testid="history-refresh">Refresh</button>
      </div>
      <div class="toolbar">
        <input
          type="search"
          class="search"
          placeholder="Key id"
          value={keyInput}
          onInput={(e) => {
            setKeyInput(e.currentTarget.value);
            setPage(1);
          }}
          aria-label="Filter by key id"
          spellcheck={false}
          data-testid="history-key-filter"
        />
        <select
          value={type}
          onChange={(e) => {
            setType(e.currentTarget.value);
            setPage(1);
          }}
          aria-label="Filter by event type"
          data-testid="history-type-filter"
        >
          <option value="">All event types</option>
          {EVENT_TYPES.map((t) => <option key={t} value={t}>{t}</option>)}
        </select>
        {(keyInput || type) && (
          <button type="button" class="btn btn-ghost btn-small" onClick={() => { setKeyInput(''); setType(''); setPage(1); }} data-testid="history-clear">
            Clear filters
          </button>
        )}
      </div>
      {error && <Notice tone="error" testid="history-error">{error}</Notice>}
      {!data && !error && <p class="muted">Loading history…</p>}
      {data && events.length === 0 && <div class="empty" data-testid="history-empty">No events match.</div>}
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
          <button type="button" class="link mono small" title={`Only events of key ${ev.key_id}`} onClick={() => onKey(ev.key_id!)} data-testid="history-key">
            {ev.masked || keyShort(null, ev.key_id)}
          </button>
        )}
        {ev.actor && <span class="muted small">by {ev.actor}</span>}
      </div>
      <p class="event-text" data-testid="history-sentence">{eventSentence(ev)}</p>
    </li>
  );
}
