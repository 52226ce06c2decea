// Bulk actions: over the selected keys, or over every key the current filter matches ("all N
// matching", across pages). Apply first asks the server what would change (a dry run) and lists it in
// a confirmation; only confirming makes the change.
import { useState } from 'preact/hooks';
import { type BulkAction, type BulkAnswer, type BulkRequest, api, errorText } from '../api';
import { ConfirmDialog } from '../components';
import { num } from '../format';
import { t, type MessageKey } from '../i18n/i18n';

const ACTIONS: BulkAction[] = ['activate', 'deactivate', 'check', 'end_cooldown', 'set_weight', 'add_label', 'remove_label', 'delete'];
export const actionLabel = (a: BulkAction) => t(`bulk.${a}` as MessageKey);

export interface BulkBarProps {
  selected: string[];
  allMatching: boolean;
  filter: { status?: string; q?: string; label?: string };
  onDone: (message: string, ok: boolean) => void;
}

export function BulkBar(props: BulkBarProps) {
  const [action, setAction] = useState<BulkAction>('activate');
  const [weight, setWeight] = useState('1');
  const [label, setLabel] = useState('');
  const [preview, setPreview] = useState<{ body: BulkRequest; answer: BulkAnswer } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const none = !props.allMatching && props.selected.length === 0;

  const body = (): BulkRequest => {
    const b: BulkRequest = { action, ...(props.allMatching ? { filter: props.filter } : { ids: props.selected }) };
    if (action === 'set_weight') b.weight = Number(weight);
    if (action === 'add_label' || action === 'remove_label') b.label = label.trim();
    return b;
  };

  const ask = async () => {
    setBusy(true);
    setError('');
    try {
      const b = body();
      setPreview({ body: b, answer: await api.bulk({ ...b, dry_run: true }) });
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const run = async () => {
    if (!preview) return;
    setBusy(true);
    try {
      const r = await api.bulk(preview.body);
      props.onDone(t('bulk.done', { action: actionLabel(r.action), n: num(r.changed ?? 0), matched: num(r.matched) }), true);
      setPreview(null);
    } catch (e) {
      setPreview(null);
      props.onDone(errorText(e), false);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="bulk-bar" data-testid="bulk-bar">
      <select value={action} onChange={(e) => setAction(e.currentTarget.value as BulkAction)} aria-label={t('bulk.action')} data-testid="bulk-action">
        {ACTIONS.map((a) => <option key={a} value={a}>{actionLabel(a)}</option>)}
      </select>
      {action === 'set_weight' && (
        <input type="number" min={1} max={1000} class="weight-input" value={weight} onInput={(e) => setWeight(e.currentTarget.value)} aria-label={t('col.weight')} data-testid="bulk-weight" />
      )}
      {(action === 'add_label' || action === 'remove_label') && (
        <input type="text" class="label-input" value={label} placeholder={t('bulk.label_placeholder')} onInput={(e) => setLabel(e.currentTarget.value)} aria-label={t('bulk.label')} data-testid="bulk-label" />
      )}
      <button type="button" class={`btn btn-small${action === 'delete' ? ' btn-danger' : ''}`} disabled={none || busy} onClick={ask} data-testid="bulk-apply">
        {t('bulk.apply')}
      </button>
      {error && <span class="error-text small" role="alert" data-testid="bulk-error">{error}</span>}
      {preview && (
        <ConfirmDialog
          title={t('bulk.confirm_title', { action: actionLabel(preview.answer.action), n: num(preview.answer.will_change) })}
          confirmLabel={t('bulk.confirm')}
          busy={busy}
          onConfirm={run}
          onCancel={() => !busy && setPreview(null)}
        >
          <p data-testid="bulk-summary">{t('bulk.summary', { matched: num(preview.answer.matched), n: num(preview.answer.will_change) })}</p>
          {(preview.answer.changes ?? []).length > 0 && (
            <ul class="change-list" data-testid="bulk-changes">
              {(preview.answer.changes ?? []).map((c) => (
                <li key={c.id}><span class="mono">{c.masked}</span> <span class="muted">{c.from || '∅'} → </span>{c.to || '∅'}</li>
              ))}
            </ul>
          )}
          {preview.answer.will_change > (preview.answer.changes ?? []).length && (
            <p class="muted small">{t('bulk.more', { n: num(preview.answer.will_change - (preview.answer.changes ?? []).length) })}</p>
          )}
        </ConfirmDialog>
      )}
    </div>
  );
}
