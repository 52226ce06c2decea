// Removes secrets from text before it is stored in an event, logged or returned: OpenRouter-shaped
// keys, bearer tokens, and the exact secrets the caller names (the key used for the attempt), also
// when echoed without the `sk-or-v1-` prefix or in part (a long run of its 64-hex body).

const OPENROUTER_KEY = /sk-or-v1-[0-9a-zA-Z]{16,}/g;
const BEARER = /(bearer\s+)[^\s"',;]+/gi;
const MIN_EXACT = 8; // shorter test tokens would mangle ordinary words
const OR_PREFIX = 'sk-or-v1-';
/**
 * Partial echoes are found by windows of this many characters at fixed offsets of the secret's body:
 * every run of at least 2·WINDOW−1 characters of the body, and every prefix of WINDOW or more,
 * contains one whole window. 16 hex characters never occur by chance in ordinary text.
 */
const WINDOW = 16;

export const REDACTED = '[redacted]';

/** What to look for in bytes bound for a client, prepared once per secret. */
export class SecretMatcher {
  /** The secret's body (without `sk-or-v1-`), which is what every echo of it contains. */
  private readonly core: string;
  private readonly windows: Buffer[];
  /** Every window is lowercase hex (OpenRouter's keys are): bytes without a 16-long hex run hold none. */
  private readonly hex: boolean;

  constructor(readonly secret: string) {
    this.core = secret.startsWith(OR_PREFIX) ? secret.slice(OR_PREFIX.length) : secret;
    const c = this.core;
    if (c.length < MIN_EXACT) this.windows = [];
    else if (c.length < 2 * WINDOW) this.windows = [Buffer.from(c)];
    else {
      this.windows = [];
      for (let at = 0; at + WINDOW <= c.length; at += WINDOW) this.windows.push(Buffer.from(c.slice(at, at + WINDOW)));
    }
    this.hex = this.windows.length > 0 && this.windows.every((w) => w.length >= WINDOW) && /^[0-9a-f]+$/.test(c);
  }

  /**
   * The cheap check for the hot path: does `buf` contain any part of the secret worth removing? A hex
   * secret's windows are searched for (one Buffer#indexOf each) only where a hex run is, which a probe
   * of every 16th byte finds; most chunks have none.
   */
  foundIn(buf: Buffer): boolean {
    if (this.hex && !hasHexRun(buf)) return false;
    for (const w of this.windows) if (buf.indexOf(w) !== -1) return true;
    return false;
  }

  /** `text` with every echo of the secret (whole, without prefix, or a long part) replaced. */
  redact(text: string): string {
    if (this.windows.length === 0) return text;
    const c = this.core;
    let out = text;
    if (out.includes(this.secret)) out = out.split(this.secret).join(REDACTED);
    if (c.length < 2 * WINDOW) return out.includes(c) ? out.split(c).join(REDACTED) : out;
    for (let wi = 0; wi < this.windows.length; wi++) {
      const w = c.slice(wi * WINDOW, wi * WINDOW + WINDOW);
      for (let p = out.indexOf(w); p !== -1; p = out.indexOf(w, p)) {
        // Grow the match both ways while the text still follows the secret.
        let start = p;
        let k = wi * WINDOW;
        while (start > 0 && k > 0 && out[start - 1] === c[k - 1]) { start--; k--; }
        let end = p + WINDOW;
        let j = wi * WINDOW + WINDOW;
        while (end < out.length && j < c.length && out[end] === c[j]) { end++; j++; }
        if (k === 0 && out.slice(Math.max(0, start - OR_PREFIX.length), start) === OR_PREFIX) start -= OR_PREFIX.length;
        out = out.slice(0, start) + REDACTED + out.slice(end);
        p = start + REDACTED.length;
      }
    }
    return out;
  }
}

const matchers = new Map<string, SecretMatcher>();
const MAX_MATCHERS = 4096;

/** The matcher for `secret`, built once (a pool has few keys; the cache is bounded anyway). */
export function matcherFor(secret: string): SecretMatcher {
  let m = matchers.get(secret);
  if (!m) {
    if (matchers.size >= MAX_MATCHERS) matchers.clear();
    m = new SecretMatcher(secret);
    matchers.set(secret, m);
  }
  return m;
}

/** `buf` without any echo of `secret`: the same Buffer when there is none (the usual case). */
export function scrubBytes(buf: Buffer, secret: string): Buffer {
  const m = matcherFor(secret);
  return m.foundIn(buf) ? Buffer.from(m.redact(buf.toString('utf8'))) : buf;
}

const isHex = (c: number) => (c >= 48 && c <= 57) || (c >= 97 && c <= 102);

/** 16 or more of [0-9a-f] in a row. Any such run holds one of the probed bytes, 16 apart. */
export function hasHexRun(buf: Buffer): boolean {
  const n = buf.length;
  for (let i = WINDOW - 1; i < n;) {
    if (!isHex(buf[i])) { i += WINDOW; continue; }
    let start = i;
    while (start > 0 && i - start < WINDOW - 1 && isHex(buf[start - 1])) start--;
    let end = i;
    while (end + 1 < n && end - start < WINDOW - 1 && isHex(buf[end + 1])) end++;
    if (end - start + 1 >= WINDOW) return true;
    i = end + WINDOW; // a run past this one starts at end + 2 or later, so it holds end + 16
  }
  return false;
}

export function scrub(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const s of secrets) if (s) out = matcherFor(s).redact(out);
  if (out.includes('sk-or-')) out = out.replace(OPENROUTER_KEY, REDACTED);
  if (/bearer/i.test(out)) out = out.replace(BEARER, `$1${REDACTED}`);
  return out;
}

/** A short, scrubbed, single-line reason for the history and the logs. */
export function shortReason(text: string, secrets: readonly (string | undefined)[] = [], max = 240): string {
  const flat = scrub(text, secrets).replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
