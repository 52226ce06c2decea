// Runtime settings: sends only the fields that changed; secrets are write-only.
import { useEffect, useState } from 'preact/hooks';
import { type Settings, api, errorText } from '../api';
import { Notice } from '../components';
import { t, type MessageKey } from '../i18n/i18n';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

type NumberField =
  | 'request_timeout_seconds'
  | 'key_failure_cooldown_seconds'
  | 'key_max_consecutive_failures'
  | 'retry_with_new_key_count'
  | 'health_check_interval_seconds'
  | 'free_requests_per_window'
  | 'free_window_seconds'
  | 'free_requests_per_day'
  | 'wait_for_key_ms';

const NUMBER_FIELDS: Array<{ name: NumberField; min: number }> = [
  { name: 'request_timeout_seconds', min: 1 },
  { name: 'key_failure_cooldown_seconds', min: 1 },
  { name: 'key_max_consecutive_failures', min: 1 },
  { name: 'retry_with_new_key_count', min: 0 },
  { name: 'health_check_interval_seconds', min: 1 },
  { name: 'free_requests_per_window', min: 1 },
  { name: 'free_window_seconds', min: 1 },
  { name: 'free_requests_per_day', min: 1 },
  { name: 'wait_for_key_ms', min: 0 },
];

type Form = Record<'default_model' | 'log_level' | NumberField, string>;

function toForm(s: Settings): Form {
  const f = { default_model: s.default_model ?? '', log_level: s.log_level ?? '' } as Form;
  for (const { name } of NUMBER_FIELDS) f[name] = s[name] === null || s[name] === undefined ? '' : String(s[name]);
  return f;
}

export function SettingsPage() {
  const [loaded, setLoaded] = useState<Settings | null>(null);
  const [form, setForm] = useState<Form | null>(null);
  const [apiKey, setApiKey] = useState('');
  const [clearApiKey, setClearApiKey] = useState(false);
  const [password, setPassword] = useState('');
  const [password2, setPassword2] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [success, setSuccess] = useState('');

  const apply = (s: Settings) => {
    setLoaded(s);
    setForm(toForm(s));
  };

  useEffect(() => {
    api.settings().then(apply, (e) => setError(errorText(e)));
  }, []);

  const changes = (): Record<string, unknown> => {
    if (!loaded || !form) return {};
    const out: Record<string, unknown> = {};
    const before = toForm(loaded);
    if (form.default_model.trim() !== before.default_model) out.default_model = form.default_model.trim();
    if (form.log_level !== before.log_level) out.log_level = form.log_level;
    for (const { name } of NUMBER_FIELDS) {
      const v = form[name].trim();
      if (v === before[name]) continue;
      // A value that is not a number goes as typed, so the server's 400 names the field.
      out[name] = v !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
    }
    if (clearApiKey) out.app_api_key = '';
    else if (apiKey) out.app_api_key = apiKey;
    if (password) out.admin_password = password;
    return out;
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setError('');
    setSuccess('');
    if (password && password !== password2) {
      setError(t('settings.passwords_differ'));
      return;
    }
    const body = changes();
    const names = Object.keys(body);
    if (!names.length) {
      setSuccess(t('settings.nothing'));
      return;
    }
    setBusy(true);
    try {
      apply(await api.saveSettings(body));
      setApiKey('');
      setClearApiKey(false);
      setPassword('');
      setPassword2('');
      setSuccess(t('settings.saved', { names: names.join(', ') }));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const bad = (name: string) => (error.includes(name) ? true : undefined);
  const set = (name: keyof Form) => (e: { currentTarget: { value: string } }) => {
    const value = e.currentTarget.value;
    setForm((f) => f && { ...f, [name]: value });
  };

  if (!form || !loaded) {
    return (
      <section class="page">
        <div class="page-head"><h1>{t('settings.title')}</h1></div>
        {error ? <Notice tone="error" testid="settings-error">{error}</Notice> : <p class="muted">{t('common.loading')}</p>}
      </section>
    );
  }

  const levels = LOG_LEVELS.includes(form.log_level) || !form.log_level ? LOG_LEVELS : [form.log_level, ...LOG_LEVELS];

  return (
    <section class="page">
      <div class="page-head">
        <h1>{t('settings.title')}</h1>
        <span class="muted small">{t('settings.intro')}</span>
      </div>
      <form class="settings" onSubmit={submit} data-testid="settings-form" novalidate>
        <fieldset class="card">
          <legend>{t('settings.proxy')}</legend>
          <label class="field">
            <span class="field-label">{t('settings.default_model')}</span>
            <input type="text" value={form.default_model} onInput={set('default_model')} aria-invalid={bad('default_model')} data-testid="settings-default_model" spellcheck={false} />
            <span class="field-hint">{t('settings.default_model_hint')} <code>model</code></span>
          </label>
          <div class="grid-2">
            {NUMBER_FIELDS.map((f) => (
              <label class="field" key={f.name}>
                <span class="field-label">{t(`settings.${f.name}` as MessageKey)}</span>
                <input type="number" inputMode="numeric" min={f.min} step={1} value={form[f.name]} onInput={set(f.name)} aria-invalid={bad(f.name)} data-testid={`settings-${f.name}`} />
                <span class="field-hint">{t(`settings.${f.name}_hint` as MessageKey)}</span>
              </label>
            ))}
            <label class="field">
              <span class="field-label">{t('settings.log_level')}</span>
              <select value={form.log_level} onChange={set('log_level')} aria-invalid={bad('log_level')} data-testid="settings-log_level">
                {levels.map((l) => <option key={l} value={l}>{l}</option>)}
              </select>
              <span class="field-hint">{t('settings.log_level_hint')}</span>
            </label>
          </div>
        </fieldset>

        <fieldset class="card">
          <legend>{t('settings.access')}</legend>
          <div class="field">
            <span class="field-label">{t('settings.app_api_key')}</span>
            <p class="field-state" data-testid="settings-app_api_key_set" data-set={String(loaded.app_api_key_set)}>
              {loaded.app_api_key_set
                ? <><span class="badge badge-active">{t('settings.set')}</span> {t('settings.clients_must')} <code>Authorization: Bearer &lt;key&gt;</code></>
                : <><span class="badge badge-inactive">{t('settings.not_set')}</span> {t('settings.open')}</>}
            </p>
            <input
              type="password"
              autoComplete="new-password"
              placeholder={loaded.app_api_key_set ? t('settings.keep_key') : t('settings.keep_open')}
              value={apiKey}
              disabled={clearApiKey}
              onInput={(e) => setApiKey(e.currentTarget.value)}
              aria-label={t('settings.new_app_key')}
              aria-invalid={bad('app_api_key')}
              data-testid="settings-app_api_key"
            />
            {loaded.app_api_key_set && (
              <label class="check">
                <input type="checkbox" checked={clearApiKey} onChange={(e) => setClearApiKey(e.currentTarget.checked)} data-testid="settings-app_api_key_clear" />
                <span>{t('settings.clear_key')}</span>
              </label>
            )}
          </div>
          <div class="grid-2">
            <label class="field">
              <span class="field-label">{t('settings.new_password')}</span>
              <input type="password" autoComplete="new-password" placeholder={t('settings.keep_password')} value={password} onInput={(e) => setPassword(e.currentTarget.value)} aria-invalid={bad('admin_password')} data-testid="settings-admin_password" />
            </label>
            <label class="field">
              <span class="field-label">{t('settings.repeat_password')}</span>
              <input type="password" autoComplete="new-password" value={password2} disabled={!password} onInput={(e) => setPassword2(e.currentTarget.value)} data-testid="settings-admin_password_confirm" />
            </label>
          </div>
        </fieldset>

        {error && <Notice tone="error" testid="settings-error" onClose={() => setError('')}>{error}</Notice>}
        {success && <Notice tone="success" testid="settings-success" onClose={() => setSuccess('')}>{success}</Notice>}
        <div class="form-actions">
          <button type="submit" class="btn btn-primary" disabled={busy} data-testid="settings-save">{busy ? t('settings.saving') : t('settings.save')}</button>
          <button type="button" class="btn btn-ghost" disabled={busy} onClick={() => { apply(loaded); setApiKey(''); setClearApiKey(false); setPassword(''); setPassword2(''); setError(''); setSuccess(''); }} data-testid="settings-reset">
            {t('settings.reset')}
          </button>
        </div>
      </form>
    </section>
  );
}
