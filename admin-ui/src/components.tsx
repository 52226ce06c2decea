// Small shared pieces: notices, the confirmation dialog, the pager, a clock hook.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { pageList } from './format';
import { t } from './i18n/i18n';

/** The current time, re-read every `ms` (drives countdowns and "3 min ago"). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

/** Calls `fn` every `ms` while the tab is visible, and once more when it becomes visible again. */
export function usePolling(fn: () => void, ms: number): void {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => {
    const tick = () => {
      if (!document.hidden) ref.current();
    };
    const t = setInterval(tick, ms);
    document.addEventListener('visibilitychange', tick);
    return () => {
      clearInterval(t);
      document.removeEventListener('visibilitychange', tick);
    };
  }, [ms]);
}

/** `value`, but only after it has stopped changing for `ms`. */
export function useDebounced<T>(value: T, ms = 300): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

export type Tone = 'error' | 'success' | 'info';

export function Notice(props: { tone: Tone; children: ComponentChildren; onClose?: () => void; testid?: string }) {
  return (
    <div class={`notice notice-${props.tone}`} role={props.tone === 'error' ? 'alert' : 'status'} data-testid={props.testid}>
      <div class="notice-body">{props.children}</div>
      {props.onClose && (
        <button type="button" class="btn-icon" aria-label={t('common.dismiss')} onClick={props.onClose}>×</button>
      )}
    </div>
  );
}

export interface ConfirmProps {
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}

export function ConfirmDialog(props: ConfirmProps) {
  const cancelRef = useRef<HTMLButtonElement>(null);
  const latest = useRef(props);
  latest.current = props;
  useEffect(() => {
    cancelRef.current?.focus();
    const key = (e: KeyboardEvent) => {
      if (e.key === 'Escape') latest.current.onCancel();
    };
    document.addEventListener('keydown', key);
    return () => document.removeEventListener('keydown', key);
  }, []);
  return (
    <div class="overlay" onClick={(e) => e.target === e.currentTarget && props.onCancel()}>
      <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="dialog-title" data-testid="confirm-dialog">
        <h2 id="dialog-title">{props.title}</h2>
        <div class="dialog-body">{props.children}</div>
        <div class="dialog-actions">
          <button type="button" class="btn" ref={cancelRef} onClick={props.onCancel} data-testid="confirm-cancel">{t('common.cancel')}</button>
          <button type="button" class="btn btn-danger" disabled={props.busy} onClick={props.onConfirm} data-testid="confirm-ok">
            {props.busy ? t('common.working') : props.confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}

export function Pager(props: { page: number; totalPages: number; onPage: (p: number) => void }) {
  const { page, totalPages, onPage } = props;
  if (totalPages < 1) return null;
  return (
    <nav class="pager" aria-label={t('common.pagination')} data-testid="pager">
      <button type="button" class="btn btn-small" disabled={page <= 1} onClick={() => onPage(page - 1)} data-testid="page-prev">{t('common.prev')}</button>
      {pageList(page, totalPages).map((p, i) =>
        p === 0 ? (
          <span key={`gap${i}`} class="pager-gap">…</span>
        ) : (
          <button
            key={p}
            type="button"
            class={`btn btn-small${p === page ? ' is-current' : ''}`}
            aria-current={p === page ? 'page' : undefined}
            onClick={() => onPage(p)}
            data-testid="page-number"
          >
            {p}
          </button>
        ),
      )}
      <button type="button" class="btn btn-small" disabled={page >= totalPages} onClick={() => onPage(page + 1)} data-testid="page-next">{t('common.next')}</button>
    </nav>
  );
}
