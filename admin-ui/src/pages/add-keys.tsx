// The add-keys box: `key:weight` lines (or comma-separated) → a per-line report. A paste of 10,000
// keys must not render 10,000 rows: the report shows its counts, the first problems, and the added
// keys folded away, each list in a box that scrolls.
import { useState } from 'preact/hooks';
import { type AddReport, api, errorText } from '../api';
import { Notice } from '../components';
import { t } from '../i18n/i18n';

/** Rows of one list rendered at most; the rest are counted. */
export const REPORT_ROWS = 100;

export function AddKeys(props: { onAdded: () => void }) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [report, setReport] = useState<AddReport | null>(null);
  const [error, setError] = useState('');

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!text.trim() || busy) return;
    setBusy(true);
    setError('');
    setReport(null);
    try {
      const r = await api.addKeys(text);
      setReport(r);
      if (r.added_count > 0) props.onAdded();
      // Only the lines to fix stay in the box: the keys just added are not left on screen.
      const keep = new Set(r.invalid_lines);
      setText(text.split(/\r?\n/).filter((_, i) => keep.has(i + 1)).join('\n'));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card add-keys" onSubmit={submit} data-testid="add-keys-form">
      <div class="card-head">
        <h2>{t('add.title')}</h2>
        <span class="muted small">{t('add.hint')} <code>:weight</code> (<code>sk-or-v1-…:3</code>)</span>
      </div>
      <textarea
        rows={3}
        placeholder={'sk-or-v1-…\nsk-or-v1-…:2'}
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) submit(e);
        }}
        spellcheck={false}
        autoComplete="off"
        aria-label={t('add.label')}
        data-testid="add-keys-input"
      />
      <div class="row-actions">
        <button type="submit" class="btn btn-primary" disabled={busy || !text.trim()} data-testid="add-keys-submit">
          {busy ? t('add.adding') : t('add.submit')}
        </button>
        <span class="muted small">{t('add.shortcut')}</span>
      </div>
      {error && <Notice tone="error" testid="add-keys-error" onClose={() => setError('')}>{error}</Notice>}
      {report && (
        <div class={`report ${report.invalid_count ? 'report-warn' : 'report-ok'}`} data-testid="add-report" role="status">
          <div class="report-counts">
            <span data-testid="add-report-added"><b>{report.added_count}</b> {t('add.added')}</span>
            <span data-testid="add-report-duplicates"><b>{report.duplicate_count}</b> {t(report.duplicate_count === 1 ? 'add.duplicate' : 'add.duplicates')}</span>
            <span data-testid="add-report-invalid"><b>{report.invalid_count}</b> {t('add.invalid')}</span>
            <button type="button" class="btn-icon" aria-label={t('common.dismiss')} onClick={() => setReport(null)}>×</button>
          </div>
          {report.error_messages.length > 0 && (
            <details class="report-section" open={report.error_messages.length <= 10} data-testid="add-report-problems">
              <summary>{t(report.error_messages.length === 1 ? 'add.problems_one' : 'add.problems', { n: report.error_messages.length })}</summary>
              <ul class="report-list">
                {report.error_messages.slice(0, REPORT_ROWS).map((m, i) => <li key={i} data-testid="add-report-message">{m}</li>)}
                {report.error_messages.length > REPORT_ROWS && (
                  <li class="muted" data-testid="add-report-more">{t('add.more_problems', { n: report.error_messages.length - REPORT_ROWS })}</li>
                )}
              </ul>
            </details>
          )}
          {report.warnings.length > 0 && (
            <details class="report-section" open={report.warnings.length <= 10} data-testid="add-report-warnings">
              <summary>{report.warnings.length} warning{report.warnings.length === 1 ? '' : 's'}</summary>
              <ul class="report-list">
                {report.warnings.slice(0, REPORT_ROWS).map((m, i) => <li key={i} data-testid="add-report-warning">{m}</li>)}
                {report.warnings.length > REPORT_ROWS && <li class="muted">… and {report.warnings.length - REPORT_ROWS} more</li>}
              </ul>
            </details>
          )}
          {report.added && report.added.length > 0 && (
            <details class="report-section" open={report.added.length <= 10} data-testid="add-report-added-list">
              <summary>{t(report.added.length === 1 ? 'add.keys_added_one' : 'add.keys_added', { n: report.added.length })}</summary>
              <ul class="report-list report-added">
                {report.added.slice(0, REPORT_ROWS).map((a) => (
                  <li key={a.id}><span class="mono">{a.masked}</span> <span class="muted">{t('add.added_line', { id: a.id, weight: a.weight })}</span></li>
                ))}
                {report.added.length > REPORT_ROWS && <li class="muted">{t('add.more_added', { n: report.added.length - REPORT_ROWS })}</li>}
              </ul>
            </details>
          )}
        </div>
      )}
    </form>
  );
}
