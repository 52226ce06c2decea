// The request log: charts of the traffic (requests and errors, cost, latency) over 1 h, 24 h or 7 d,
// and the requests themselves, newest first, filtered by key, model, status, outcome and time; a row
// opens to show every key it tried and what each did. The CSV link exports the same filters.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { OUTCOMES, type RequestFilters, type RequestPage, type RequestRow, type Stats, type StatsWindow, api, errorText } from '../api';
import { Chart } from '../chart';
import { Notice, Pager, useDebounced, usePolling } from '../components';
import { dateTime, keyShort, money, num } from '../format';
import { t, type MessageKey } from '../i18n/i18n';
import { Link, PATHS, setSearch } from '../router';

const LIMIT = 50;
const WINDOWS: StatsWindow[] = ['1h', '24h', '7d'];
const FIELDS = ['key_id', 'model', 'status', 'outcome', 'since', 'until'] as const;

function initial(): RequestFilters & { page: number; window: StatsWindow } {
  const p = new URLSearchParams(location.search);
  const w = p.get('window') as StatsWindow | null;
  const f: RequestFilters = {};
  for (const name of FIELDS) { const v = p.get(name); if (v) f[name] = v; }
  return { ...f, page: Math.max(1, Number(p.get('page')) || 1), window: w && WINDOWS.includes(w) ? w : '1h' };
}

/** `datetime-local` value (local time) ↔ ISO (UTC) for the API. */
const toIso = (local: string) => (local ? new Date(local).toISOString() : '');
const toLocal = (iso: string | undefined) => {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
};

export const outcomeLabel = (o: string) => t(`outcome.${o}` as MessageKey);

export function RequestsPage() {
  const [init] = useState(initial);
  const [win, setWin] = useState<StatsWindow>(init.window);
  const [form, setForm] = useState<RequestFilters>(() => { const { page: _p, window: _w, ...f } = init; return f; });
  const filters = useDebounced(form, 300);
  const [page, setPage] = useState(init.page);
  const [data, setData] = useState<RequestPage | null>(null);
  const [stats, setStats] = useState<Stats | null>(null);
  const [error, setError] = useState('');
  const [open, setOpen] = useState<Set<number>>(() => new Set());
  const gen = useRef(0);

  useEffect(() => { setSearch({ ...filters, page: page > 1 ? page : null, window: win !== '1h' ? win : null }); }, [filters, page, win]);
  const first = useRef(true);
  useEffect(() => { if (first.current) { first.current = false; return; } setPage(1); }, [filters]);

  const load = useCallback(async () => {
    const mine = ++gen.current;
    try {
      const [d, s] = await Promise.all([api.requests({ ...filters, page, limit: LIMIT }), api.stats(win)]);
      if (mine !== gen.current) return;
      setData(d);
      setStats(s);
      setError('');
    } catch (e) {
      if (mine === gen.current) setError(errorText(e));
    }
  }, [filters, page, win]);
  useEffect(() => { load(); }, [load]);
  usePolling(load, 10_000);

  const set = (name: keyof RequestFilters, value: string) => setForm((f) => ({ ...f, [name]: value || undefined }));
  const toggle = (id: number) => setOpen((s) => { const n = new Set(s); if (n.has(id)) n.delete(id); else n.add(id); return n; });
  const times = stats?.series.map((p) => Date.parse(p.t)) ?? [];

  return (
    <section class="page">
      <div class="page-head">
        <h1>{t('requests.title')}</h1>
        <span class="muted small" data-testid="requests-total">{data ? t('requests.total', { n: num(data.total) }) : ''}</span>
      </div>

      <div class="chips" role="group" aria-label={t('requests.window')}>
        {WINDOWS.map((w) => (
          <button key={w} type="button" class={`chip${w === win ? ' is-on' : ''}`} aria-pressed={w === win} onClick={() => setWin(w)} data-testid={`window-${w}`}>
            <span class="chip-label">{t(`window.${w}` as MessageKey)}</span>
          </button>
        ))}
        {stats && (
          <span class="muted small stats-totals" data-testid="stats-totals">
            {t('stats.totals', { requests: num(stats.totals.requests), errors: num(stats.totals.errors), tokens: num(stats.totals.input_tokens + stats.totals.output_tokens), cost: money(stats.totals.cost) })}
          </span>
        )}
      </div>

      {stats && (
        <div class="charts">
          <Chart testid="chart-requests" title={t('chart.requests')} times={times} series={[
            { label: t('chart.ok'), color: '#1f9d55', values: stats.series.map((p) => p.ok), fill: true },
            { label: t('chart.errors'), color: '#d64545', values: stats.series.map((p) => p.errors), fill: true },
          ]} format={(v) => num(Math.round(v))} />
          <Chart testid="chart-cost" title={t('chart.cost')} times={times} series={[
            { label: t('chart.cost_series'), color: '#7a5af8', values: stats.series.map((p) => p.cost), fill: true },
          ]} format={money} />
          <Chart testid="chart-latency" title={t('chart.latency')} times={times} series={[
            { label: 'p50', color: '#2f6fde', values: stats.series.map((p) => p.p50_ms) },
            { label: 'p95', color: '#e08a00', values: stats.series.map((p) => p.p95_ms) },
          ]} format={(v) => `${num(Math.round(v))} ms`} />
        </div>
      )}

      <div class="toolbar filters" data-testid="request-filters">
        <input type="search" class="search" placeholder={t('requests.filter_key')} value={form.key_id ?? ''} onInput={(e) => set('key_id', e.currentTarget.value.trim())} aria-label={t('requests.filter_key')} data-testid="filter-key" />
        <input type="search" class="search" placeholder={t('requests.filter_model')} value={form.model ?? ''} onInput={(e) => set('model', e.currentTarget.value.trim())} aria-label={t('requests.filter_model')} data-testid="filter-model" />
        <select value={form.status ?? ''} onChange={(e) => set('status', e.currentTarget.value)} aria-label={t('requests.filter_status')} data-testid="filter-status">
          <option value="">{t('requests.any_status')}</option>
          <option value="ok">{t('requests.status_ok')}</option>
          <option value="error">{t('requests.status_error')}</option>
          {[400, 401, 402, 403, 404, 408, 413, 429, 499, 500, 502, 503, 504].map((s) => <option key={s} value={String(s)}>{s}</option>)}
        </select>
        <select value={form.outcome ?? ''} onChange={(e) => set('outcome', e.currentTarget.value)} aria-label={t('requests.filter_outcome')} data-testid="filter-outcome">
          <option value="">{t('requests.any_outcome')}</option>
          {OUTCOMES.map((o) => <option key={o} value={o}>{outcomeLabel(o)}</option>)}
        </select>
        <label class="inline-field"><span class="muted small">{t('requests.since')}</span>
          <input type="datetime-local" value={toLocal(form.since)} onInput={(e) => set('since', toIso(e.currentTarget.value))} data-testid="filter-since" /></label>
        <label class="inline-field"><span class="muted small">{t('requests.until')}</span>
          <input type="datetime-local" value={toLocal(form.until)} onInput={(e) => set('until', toIso(e.currentTarget.value))} data-testid="filter-until" /></label>
        <div class="toolbar-end">
          <a class="btn btn-small" href={api.requestsCsvUrl(filters)} download data-testid="requests-csv">{t('requests.csv')}</a>
        </div>
      </div>

      {error && <Notice tone="error" testid="requests-error">{t('requests.load_error', { error })}</Notice>}
      {!data && !error && <p class="muted">{t('common.loading')}</p>}
      {data && data.requests.length === 0 && <div class="empty" data-testid="requests-empty">{t('requests.empty')}</div>}
      {data && data.requests.length > 0 && (
        <div class="table-wrap">
          <table class="keys requests" data-testid="requests-table">
            <thead>
              <tr>
                <th>{t('col.time')}</th><th>{t('col.model')}</th><th>{t('col.status')}</th><th>{t('col.outcome')}</th>
                <th>{t('col.keys_tried')}</th><th>{t('col.latency')}</th><th>{t('col.tokens')}</th><th>{t('col.cost')}</th><th>{t('col.client')}</th>
              </tr>
            </thead>
            <tbody>
              {data.requests.map((r) => <Row key={r.id} r={r} open={open.has(r.id)} onToggle={() => toggle(r.id)} />)}
            </tbody>
          </table>
        </div>
      )}
      {data && (
        <div class="table-foot">
          <span class="muted small">{data.total ? t('common.range', { from: num((data.page - 1) * data.limit + 1), to: num(Math.min(data.page * data.limit, data.total)), total: num(data.total) }) : ''}</span>
          <Pager page={data.page} totalPages={data.total_pages} onPage={setPage} />
        </div>
      )}
    </section>
  );
}

function Row({ r, open, onToggle }: { r: RequestRow; open: boolean; onToggle: () => void }) {
  const tone = r.outcome === 'ok' ? 'active' : r.outcome === 'caller' || r.outcome === 'client_abort' ? 'cooling' : 'inactive';
  return (
    <>
      <tr data-testid="request-row" data-outcome={r.outcome} class={`request-row row-${tone}${open ? ' is-open' : ''}`} onClick={onToggle}>
        <td data-label={t('col.time')}>
          <button type="button" class="link-button" aria-expanded={open} onClick={(e) => { e.stopPropagation(); onToggle(); }} data-testid="request-toggle">
            {open ? '▾' : '▸'} {dateTime(r.at)}
          </button>
        </td>
        <td data-label={t('col.model')} class="mono small">{r.model}{r.stream ? <span class="badge badge-info">{t('requests.stream')}</span> : null}</td>
        <td data-label={t('col.status')} class="mono">{r.status}</td>
        <td data-label={t('col.outcome')}><span class={`badge badge-${tone}`}>{outcomeLabel(r.outcome)}</span></td>
        <td data-label={t('col.keys_tried')}>{r.attempts ? t('requests.attempts', { n: r.attempts, key: keyShort(r.masked, r.key_id) }) : <span class="muted">—</span>}</td>
        <td data-label={t('col.latency')} class="mono">{num(r.latency_ms)} ms{r.ttfb_ms !== null ? <span class="muted small"> · {t('requests.ttfb', { ms: num(r.ttfb_ms) })}</span> : null}</td>
        <td data-label={t('col.tokens')} class="mono">{num(r.input_tokens)} → {num(r.output_tokens)}</td>
        <td data-label={t('col.cost')} class="mono">{r.cost === null ? '—' : money(r.cost)}</td>
        <td data-label={t('col.client')} class="mono small">{r.client}</td>
      </tr>
      {open && (
        <tr class="request-detail" data-testid="request-detail">
          <td colSpan={9}>
            <div class="detail-head">{t('requests.detail', { route: r.route, id: r.id })}</div>
            {r.keys_tried.length === 0 ? <p class="muted">{t('requests.no_key_tried')}</p> : (
              <ol class="tried">
                {r.keys_tried.map((k) => (
                  <li key={k.id} data-testid="tried-key">
                    <Link href={`${PATHS.history}?key_id=${encodeURIComponent(k.id)}`} class="mono">{k.masked ?? k.id}</Link>
                    <span class="mono muted small"> {k.id} </span>
                    <span class={`badge badge-${k.outcome === 'ok' ? 'active' : k.outcome === 'caller' || k.outcome === 'client_abort' ? 'cooling' : 'inactive'}`}>{outcomeLabel(k.outcome)}</span>
                  </li>
                ))}
              </ol>
            )}
          </td>
        </tr>
      )}
    </>
  );
}
