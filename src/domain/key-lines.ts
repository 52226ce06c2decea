// Parsing the operator's key list: `key` or `key:weight`, separated by commas or newlines.

import { createHash } from 'node:crypto';

export const MIN_WEIGHT = 1;
export const MAX_WEIGHT = 1000;
export const MAX_KEY_LENGTH = 256;
const OPENROUTER_KEY = /^sk-or-v1-[0-9a-f]{64}$/;
const PRINTABLE_TOKEN = /^[\x21-\x7e]+$/;

export type KeyLine =
  | { line: number; ok: true; secret: string; weight: number; warning: string | null }
  | { line: number; ok: false; error: string };

export function parseKeyLines(text: string): KeyLine[] {
  const out: KeyLine[] = [];
  text.split(/\r?\n/).forEach((row, i) => {
    for (const part of row.split(',')) {
      const entry = part.trim();
      if (entry) out.push(parseEntry(entry, i + 1));
    }
  });
  return out;
}

/**
 * `key` or `key:weight`. Whatever follows a colon must be a plain integer weight: `key:abc`, `key:1e9`,
 * `key:2.5` and `:5` are refused rather than stored as odd keys (a typo would otherwise become a key
 * that fails every request). `;` and `:` never belong to a key: `k1;k2` is a mistyped separator.
 */
function parseEntry(entry: string, line: number): KeyLine {
  let secret = entry;
  let weight = 1;
  const colon = entry.indexOf(':');
  if (colon !== -1) {
    secret = entry.slice(0, colon).trim();
    const weightText = entry.slice(colon + 1).trim();
    if (!secret) return { line, ok: false, error: `line ${line}: the key is empty (nothing before ':')` };
    if (weightText === '') return { line, ok: false, error: `line ${line}: weight is missing after ':'` };
    if (!/^[+-]?\d{1,15}$/.test(weightText)) {
      return { line, ok: false, error: `line ${line}: weight ${JSON.stringify(weightText.slice(0, 20))} is not an integer from ${MIN_WEIGHT} to ${MAX_WEIGHT}` };
    }
    weight = Number(weightText);
    if (weight < MIN_WEIGHT || weight > MAX_WEIGHT) {
      return { line, ok: false, error: `line ${line}: weight must be an integer from ${MIN_WEIGHT} to ${MAX_WEIGHT}` };
    }
  }
  if (secret.length > MAX_KEY_LENGTH) return { line, ok: false, error: `line ${line}: the key is longer than ${MAX_KEY_LENGTH} characters` };
  if (!PRINTABLE_TOKEN.test(secret)) return { line, ok: false, error: `line ${line}: the key must be one token of printable characters without spaces` };
  if (secret.includes(';')) return { line, ok: false, error: `line ${line}: a key never contains ';': separate keys with commas or newlines` };
  const warning = OPENROUTER_KEY.test(secret) ? null : `line ${line}: ${maskKey(secret)} does not look like an OpenRouter key (sk-or-v1- and 64 hex); added anyway`;
  return { line, ok: true, secret, weight, warning };
}

/** A key's public id: the first 16 hex characters of its SHA-256. */
export function keyId(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 16);
}

export function keySuffix(secret: string): string {
  return secret.length >= 24 ? secret.slice(-4) : '';
}

/** `sk-or-v1-ab…wxyz`; short keys show less so that the mask never reveals most of a key. */
export function maskKey(secret: string): string {
  if (secret.length >= 24) return `${secret.slice(0, 11)}…${secret.slice(-4)}`;
  if (secret.length >= 8) return `${secret.slice(0, 2)}…${secret.slice(-2)}`;
  return '…';
}
