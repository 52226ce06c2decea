// Sign in with the admin password; explains 401 and 429 (with a live "retry in N s").
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, errorText } from '../api';
import { PATHS, navigate } from '../router';
import { t } from '../i18n/i18n';
import { LanguageSwitch } from '../lang-switch';

export function LoginPage() {
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [retryAt, setRetryAt] = useState(0);
  const [now, setNow] = useState(Date.now());
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => input.current?.focus(), []);
  useEffect(() => {
    if (!retryAt) return;
    const t = setInterval(() => {
      const n = Date.now();
      setNow(n);
      if (n >= retryAt) {
        setRetryAt(0);
        setError('');
      }
    }, 250);
    return () => clearInterval(t);
  }, [retryAt]);

  const waiting = retryAt > now;
  const left = Math.max(0, Math.ceil((retryAt - now) / 1000));

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy || waiting || !password) return;
    setBusy(true);
    setError('');
    try {
      await api.login(password);
      navigate(PATHS.dashboard, { replace: true });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setError(t('login.wrong'));
      else if (err instanceof ApiError && err.status === 429) {
        const secs = err.retryAfter ?? 60;
        setNow(Date.now());
        setRetryAt(Date.now() + secs * 1000);
        setError(t('login.too_many'));
      } else setError(errorText(err));
      setPassword('');
      input.current?.focus();
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="login-wrap">
      <form class="card login-card" onSubmit={submit} data-testid="login-form">
        <div class="login-head">
          <span class="brand-mark" aria-hidden="true">◆</span>
          <h1>{t('app.brand')}</h1>
          <p class="muted">{t('login.intro')}</p>
        </div>
        <label class="field">
          <span class="field-label">{t('login.password')}</span>
          <input
            ref={input}
            type="password"
            name="password"
            autoComplete="current-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
            data-testid="login-password"
            required
          />
        </label>
        {error && (
          <div class="notice notice-error" role="alert" data-testid="login-error">
            {waiting ? t('login.retry_in', { s: left }) : error}
          </div>
        )}
        <button type="submit" class="btn btn-primary btn-block" disabled={busy || waiting || !password} data-testid="login-submit">
          {busy ? t('login.signing_in') : t('login.sign_in')}
        </button>
        <div class="login-lang"><LanguageSwitch /></div>
      </form>
    </main>
  );
}
