// Service status: every field of GET /admin/app-status as readable cards, refreshed every 5 s.
// Known groups come first; anything new from the server still shows up as key/value rows.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, errorText } from '../api';
import { Notice, useNow, usePolling } from '../components';
import { dateTime, fieldLabel, fieldValue, flatten, humanize, relTime } from '../format';
import { t, tMaybe } from '../i18n/i18n';

const ORDER = ['uptime', 'version', 'versions', 'keys', 'key_counts', 'client_requests_24h', 'requests', 'credit', 'counters', 'request_log', 'events', 'snapshot', 'snapshots', 'memory', 'event_loop', 'database', 'db'];
/** A card title or field label in the current language; the English words of its name otherwise. */
const label = (name: string, fallback: () => string) => tMaybe(`field.${name}`) ?? fallback();
const rank = (name: string) => {
  const i = ORDER.findIndex((o) => name === o || name.startsWith(`${o}_`));
  return i < 0 ? ORDER.length : i;
};

export function StatusPage() {
  const [data, setData] = useState<Record<string, unknown> | null>(null);
  const [at, setAt] = useState(0);
  const [error, setError] = useState('');
  const now = useNow(1000);

  const pending = useRef(false);
  const load = useCallback(async () => {
    if (pending.current) return;
    pending.current = true;
    try {
      const s = await api.status();
      setData(s && typeof s === 'object' ? s : {});
      setAt(Date.now());
      setError('');
    } catch (e) {
      setError(errorText(e));
    } finally {
      pending.current = false;
    }
  }, []);
  useEffect(() => {
    load();
  }, [load]);
  usePolling(load, 5000);

  const entries = data ? Object.entries(data) : [];
  const scalars = entries.filter(([, v]) => !v || typeof v !== 'object' || Array.isArray(v));
  const groups = entries
    .filter(([, v]) => v && typeof v === 'object' && !Array.isArray(v))
    .sort(([a], [b]) => rank(a) - rank(b)) as Array<[string, Record<string, unknown>]>;

  return (
    <section class="page">
      <div class="page-head">
        <h1>{t('status.title')}</h1>
        <span class="muted small" data-testid="status-updated">{at ? t('status.updated', { when: relTime(at, now) }) : ''}</span>
        <button type="button" class="btn btn-small" onClick={load} data-testid="status-refresh">{t('common.refresh')}</button>
      </div>
      <p class="muted small" data-testid="status-timezone">{t('status.timezone', { tz: Intl.DateTimeFormat().resolvedOptions().timeZone, now: dateTime(now) })}</p>
      {error && <Notice tone="error" testid="status-error">{t('status.load_error', { error })}</Notice>}
      {!data && !error && <p class="muted">{t('common.loading')}</p>}
      {data && (
        <div class="cards">
          {scalars.length > 0 && <StatusCard title={t('status.service')} name="service" rows={scalars} now={now} />}
          {groups.map(([name, value]) => (
            <StatusCard key={name} title={label(name, () => humanize(name))} name={name} rows={flatten(value)} prefix={name} now={now} />
          ))}
        </div>
      )}
    </section>
  );
}

function StatusCard(props: { title: string; name: string; rows: Array<[string, unknown]>; prefix?: string; now: number }) {
  return (
    <div class="card status-card" data-testid="status-card" data-name={props.name}>
      <h2>{props.title}</h2>
      <dl class="kv">
        {props.rows.map(([k, v]) => (
          <div class="kv-row" key={k} data-field={props.prefix ? `${props.prefix}.${k}` : k}>
            <dt>{label(props.prefix ? `${props.prefix}.${k}` : k, () => label(k, () => fieldLabel(k.replace(/\./g, ' '))))}</dt>
            <dd>{fieldValue(props.prefix ? `${props.prefix}.${k}` : k, v, props.now)}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}
