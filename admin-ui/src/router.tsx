// A tiny pushState router: the server returns the same index.html for every admin page,
// and the app picks the page from location.pathname.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';

export const PATHS = {
  login: '/admin/login',
  dashboard: '/admin/dashboard',
  settings: '/admin/settings-page',
  status: '/admin/status-page',
  history: '/admin/history-page',
  requests: '/admin/requests-page',
} as const;

const listeners = new Set<() => void>();
const notify = () => listeners.forEach((fn) => fn());
window.addEventListener('popstate', notify);

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === location.pathname + location.search) return;
  if (opts.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  notify();
  if (!opts.replace) window.scrollTo(0, 0);
}

/** Rewrites the query string of the current page without a new history entry (filters, page number). */
export function setSearch(params: Record<string, string | number | null | undefined>): void {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== '' && v !== null && v !== undefined) q.set(k, String(v));
  const s = q.toString();
  history.replaceState(null, '', location.pathname + (s ? `?${s}` : ''));
}

export function useLocation(): { path: string; search: string } {
  const [, force] = useState(0);
  useEffect(() => {
    const fn = () => force((n) => n + 1);
    listeners.add(fn);
    return () => listeners.delete(fn);
  }, []);
  return { path: location.pathname.replace(/\/+$/, '') || '/', search: location.search };
}

interface LinkProps {
  href: string;
  children: ComponentChildren;
  class?: string;
  title?: string;
  'data-testid'?: string;
  'aria-current'?: 'page' | undefined;
}

export function Link(props: LinkProps) {
  const { href, children, ...rest } = props;
  const click = (e: MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  return <a href={href} onClick={click} {...rest}>{children}</a>;
}
