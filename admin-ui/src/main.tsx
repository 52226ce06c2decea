// The admin SPA: a nav bar and one page per pathname.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, errorText, setUnauthorizedHandler } from './api';
import { Link, PATHS, navigate, useLocation } from './router';
import { LoginPage } from './pages/login';
import { DashboardPage } from './pages/dashboard';
import { SettingsPage } from './pages/settings';
import { StatusPage } from './pages/status';
import { HistoryPage } from './pages/history';
import { RequestsPage } from './pages/requests';
import { currentLang, onLangChange, t, type MessageKey } from './i18n/i18n';
import { LanguageSwitch } from './lang-switch';

setUnauthorizedHandler(() => {
  if (location.pathname !== PATHS.login) navigate(PATHS.login, { replace: true });
});

const PAGES: { path: string; label: MessageKey; view: () => preact.JSX.Element; testid: string }[] = [
  { path: PATHS.dashboard, label: 'nav.keys', view: DashboardPage, testid: 'nav-dashboard' },
  { path: PATHS.requests, label: 'nav.requests', view: RequestsPage, testid: 'nav-requests' },
  { path: PATHS.status, label: 'nav.status', view: StatusPage, testid: 'nav-status' },
  { path: PATHS.history, label: 'nav.history', view: HistoryPage, testid: 'nav-history' },
  { path: PATHS.settings, label: 'nav.settings', view: SettingsPage, testid: 'nav-settings' },
];

function Nav(props: { path: string }) {
  const [busy, setBusy] = useState(false);
  const logout = async () => {
    setBusy(true);
    try {
      await api.logout();
    } catch (e) {
      // The session may already be gone; the login page is the right place either way.
      console.warn('logout:', errorText(e));
    }
    setBusy(false);
    navigate(PATHS.login);
  };
  return (
    <header class="topbar">
      <div class="topbar-inner">
        <Link href={PATHS.dashboard} class="brand">
          <span class="brand-mark" aria-hidden="true">◆</span> {t('app.brand')}
        </Link>
        <nav class="nav" aria-label={t('nav.main')}>
          {PAGES.map((p) => (
            <Link key={p.path} href={p.path} class="nav-link" aria-current={props.path === p.path ? 'page' : undefined} data-testid={p.testid}>
              {t(p.label)}
            </Link>
          ))}
        </nav>
        <LanguageSwitch />
        <button type="button" class="btn btn-small btn-ghost logout" onClick={logout} disabled={busy} data-testid="logout">
          {t('nav.logout')}
        </button>
      </div>
    </header>
  );
}

function App() {
  const { path, search } = useLocation();
  const [lang, setLangState] = useState(currentLang());
  useEffect(() => onLangChange(() => setLangState(currentLang())), []);
  useEffect(() => { document.documentElement.lang = lang; }, [lang]);
  const page = PAGES.find((p) => p.path === path);
  const isLogin = path === PATHS.login;
  useEffect(() => {
    if (!isLogin && !page) navigate(PATHS.dashboard, { replace: true });
  }, [isLogin, page]);
  useEffect(() => {
    document.title = `${isLogin ? t('page.sign_in') : page ? t(page.label) : t('page.admin')} · ${t('app.brand')}`;
  }, [isLogin, page, lang]);
  if (isLogin) return <LoginPage key={lang} />;
  if (!page) return null;
  const View = page.view;
  return (
    <>
      <Nav path={path} />
      <main class="container" id="main">
        {/* A navigation (not a filter change, which only replaces the query) mounts the page afresh. */}
        {/* A language switch re-mounts the page too, so every string is drawn again. */}
        <View key={path + search + lang} />
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
