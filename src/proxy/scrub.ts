// Removes secrets from text before it is stored in an event, logged or returned: OpenRouter-shaped
// keys, bearer tokens, and the exact secrets the caller names (the key used for the attempt).

const OPENROUTER_KEY = /sk-or-v1-[0-9a-zA-Z]{16,}/g;
const BEARER = /(bearer\s+)[^\s"',;]+/gi;
const MIN_EXACT = 8; // shorter test tokens would mangle ordinary words

export const REDACTED = '[redacted]';

export function scrub(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const s of secrets) {
    if (s && s.length >= MIN_EXACT && out.includes(s)) out = out.split(s).join(REDACTED);
  }
  if (out.includes('sk-or-')) out = out.replace(OPENROUTER_KEY, REDACTED);
  if (/bearer/i.test(out)) out = out.replace(BEARER, `$1${REDACTED}`);
  return out;
}

/** A short, scrubbed, single-line reason for the history and the logs. */
export function shortReason(text: string, secrets: readonly (string | undefined)[] = [], max = 240): string {
  const flat = scrub(text, secrets).replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
