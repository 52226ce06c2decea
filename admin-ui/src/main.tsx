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

setUnauthorizedHandler(() => {
  if (location.pathname !== PATHS.login) navigate(PATHS.login, { replace: true });
});

const PAGES = [
  { path: PATHS.dashboard, label: 'Keys', title: 'Keys', view: DashboardPage, testid: 'nav-dashboard' },
  { path: PATHS.status, label: 'Status', title: 'Status', view: StatusPage, testid: 'nav-status' },
  { path: PATHS.history, label: 'History', title: 'History', view: HistoryPage, testid: 'nav-history' },
  { path: PATHS.settings, label: 'Settings', title: 'Settings', view: SettingsPage, testid: 'nav-settings' },
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
          <span class="brand-mark" aria-hidden="true">◆</span> OpenRouter pool
        </Link>
        <nav class="nav" aria-label="Main">
          {PAGES.map((p) => (
            <Link key={p.path} href={p.path} class="nav-link" aria-current={props.path === p.path ? 'page' : undefined} data-testid={p.testid}>
              {p.label}
            </Link>
          ))}
        </nav>
        <button type="button" class="btn btn-small btn-ghost logout" onClick={logout} disabled={busy} data-testid="logout">
          Log out
        </button>
      </div>
    </header>
  );
}

function App() {
  const { path, search } = useLocation();
  const page = PAGES.find((p) => p.path === path);
  const isLogin = path === PATHS.login;
  useEffect(() => {
    if (!isLogin && !page) navigate(PATHS.dashboard, { replace: true });
  }, [isLogin, page]);
  useEffect(() => {
    document.title = `${isLogin ? 'Sign in' : page?.title ?? 'Admin'} · OpenRouter pool`;
  }, [isLogin, page]);
  if (isLogin) return <LoginPage />;
  if (!page) return null;
  const View = page.view;
  return (
    <>
      <Nav path={path} />
      <main class="container" id="main">
        {/* A navigation (not a filter change, which only replaces the query) mounts the page afresh. */}
        <View key={path + search} />
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
