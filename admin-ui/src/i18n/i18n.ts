// A tiny typed i18n: strings live in one file per language (en.ts is the reference; zh-CN.ts must have
// every key, or it does not type-check), `t(key, vars)` fills `{name}` placeholders. The language is
// the one remembered in localStorage, else the browser's (any zh* → zh-CN), else English.
import { en, type MessageKey } from './en';
import { zhCN } from './zh-CN';

export type Lang = 'en' | 'zh-CN';
export const LANGS: { id: Lang; label: string }[] = [{ id: 'en', label: 'English' }, { id: 'zh-CN', label: '中文' }];
const TABLES: Record<Lang, Record<MessageKey, string>> = { en, 'zh-CN': zhCN };
const STORAGE = 'orp.lang';

function detect(): Lang {
  try {
    const kept = globalThis.localStorage?.getItem(STORAGE);
    if (kept === 'en' || kept === 'zh-CN') return kept;
  } catch { /* storage may be off */ }
  const nav = (globalThis as { navigator?: { languages?: readonly string[]; language?: string } }).navigator;
  const wanted = nav?.languages?.length ? nav.languages : nav?.language ? [nav.language] : [];
  for (const l of wanted) {
    if (/^zh\b/i.test(l)) return 'zh-CN';
    if (/^en\b/i.test(l)) return 'en';
  }
  return 'en';
}

let lang: Lang = typeof window === 'undefined' ? 'en' : detect();
const listeners = new Set<() => void>();

export function currentLang(): Lang { return lang; }

/** Switches the language, remembers it, and re-renders whoever listens. */
export function setLang(next: Lang): void {
  if (next === lang) return;
  lang = next;
  try { globalThis.localStorage?.setItem(STORAGE, next); } catch { /* not remembered, still switched */ }
  if (typeof document !== 'undefined') document.documentElement.lang = next;
  listeners.forEach((fn) => fn());
}

export function onLangChange(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export type Vars = Record<string, string | number>;

/** The string for `key` in the current language, with `{name}` replaced from `vars`. */
export function t(key: MessageKey, vars?: Vars): string {
  const s = TABLES[lang][key] ?? en[key];
  return vars ? s.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m)) : s;
}

/** The string for a key made at run time (a status field's name), or null when no language has it. */
export function tMaybe(key: string, vars?: Vars): string | null {
  return key in en ? t(key as MessageKey, vars) : null;
}

/** `one` or `many` by count (English plurals; Chinese uses the same string for both). */
export function tn(n: number, one: MessageKey, many: MessageKey, vars: Vars = {}): string {
  return t(n === 1 ? one : many, { n, ...vars });
}

export type { MessageKey };
