// The language switch in the top bar and on the login page: the choice is remembered (localStorage).
import { LANGS, currentLang, setLang, t, type Lang } from './i18n/i18n';

export function LanguageSwitch() {
  return (
    <select class="lang-switch" value={currentLang()} onChange={(e) => setLang(e.currentTarget.value as Lang)} aria-label={t('app.language')} data-testid="lang-switch">
      {LANGS.map((l) => <option key={l.id} value={l.id}>{l.label}</option>)}
    </select>
  );
}
