// Sign in with the admin password; explains 401 and 429 (with a live "retry in N s").
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, errorText } from '../api';
import { PATHS, navigate } from '../router';

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
      if (err instanceof ApiError && err.status === 401) setError('Wrong password.');
      else if (err instanceof ApiError && err.status === 429) {
        const secs = err.retryAfter ?? 60;
        setNow(Date.now());
        setRetryAt(Date.now() + secs * 1000);
        setError('Too many attempts.');
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
          <h1>OpenRouter pool</h1>
          <p class="muted">Sign in to manage the key pool.</p>
        </div>
        <label class="field">
          <span class="field-label">Admin password</span>
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
            {waiting ? `Too many attempts, retry in ${left} s.` : error}
          </div>
        )}
        <button type="submit" class="btn btn-primary btn-block" disabled={busy || waiting || !password} data-testid="login-submit">
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
