// Runtime settings: sends only the fields that changed; secrets are write-only.
import { useEffect, useState } from 'preact/hooks';
import { type Settings, api, errorText } from '../api';
import { Notice } from '../components';
import { t, tMaybe } from '../i18n/i18n';
// The fields, their labels and ranges come from the server's settings table (it imports nothing).
import { LIVE_SETTINGS, type LiveName, type LiveSetting } from '../../../src/settings/settings-table';

type Form = Record<LiveName, string>;

const textFields = LIVE_SETTINGS.filter((s) => s.type.kind === 'string');
// Numbers first, then the choices (the log level), each in the table's order.
const gridFields = [...LIVE_SETTINGS.filter((s) => s.type.kind === 'int'), ...LIVE_SETTINGS.filter((s) => s.type.kind === 'enum')];

function toForm(s: Settings): Form {
  const f = {} as Form;
  for (const { name } of LIVE_SETTINGS) f[name] = s[name] === null || s[name] === undefined ? '' : String(s[name]);
  return f;
}

/** The form's value as the API wants it; a number that does not parse goes as typed, so the 400 names the field. */
function fromForm(setting: LiveSetting, text: string): unknown {
  if (setting.type.kind === 'string') return text.trim();
  if (setting.type.kind !== 'int') return text;
  const v = text.trim();
  return v !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
}

const labelOf = ({ field }: LiveSetting) => (field.unit ? `${field.label} (${field.unit})` : field.label);

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
    for (const setting of LIVE_SETTINGS) {
      const value = fromForm(setting, form[setting.name]);
      if (value !== fromForm(setting, before[setting.name])) out[setting.name] = value;
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
  const set = (name: LiveName) => (e: { currentTarget: { value: string } }) => {
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

  const input = (setting: LiveSetting) => {
    const { name, type } = setting;
    const common = { value: form[name], 'aria-invalid': bad(name), 'data-testid': `settings-${name}` };
    if (type.kind === 'int') return <input type="number" inputMode="numeric" min={type.min} max={type.max} step={1} onInput={set(name)} {...common} />;
    if (type.kind === 'enum') {
      const values: readonly string[] = type.values.includes(form[name]) || !form[name] ? type.values : [form[name], ...type.values];
      return <select onChange={set(name)} {...common}>{values.map((v) => <option key={v} value={v}>{v}</option>)}</select>;
    }
    return <input type="text" maxLength={type.kind === 'string' ? type.maxLength : undefined} onInput={set(name)} spellcheck={false} {...common} />;
  };
  const field = (setting: LiveSetting) => (
    <label class="field" key={setting.name}>
      <span class="field-label">{tMaybe(`settings.${setting.name}`) ?? labelOf(setting)}</span>
      {input(setting)}
      <span class="field-hint">{tMaybe(`settings.${setting.name}_hint`) ?? setting.field.hint}</span>
    </label>
  );

  return (
    <section class="page">
      <div class="page-head">
        <h1>{t('settings.title')}</h1>
        <span class="muted small">{t('settings.intro')}</span>
      </div>
      <form class="settings" onSubmit={submit} data-testid="settings-form" novalidate>
        <fieldset class="card">
          <legend>{t('settings.proxy')}</legend>
          {textFields.map(field)}
          <div class="grid-2">{gridFields.map(field)}</div>
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
