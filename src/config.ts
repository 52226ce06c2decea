// Configuration: the environment plus an optional .env file, parsed and validated once into a frozen
// object. This is the only module that reads process.env. A value that does not parse stops the start.
// What each variable is, its default and its range: the table in src/settings/settings-table.ts.

import { parse as parseDotenv } from 'dotenv';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { SETTINGS, type Config, type Kind, type Setting, type TrustProxy } from './settings/settings-table';

export { LOG_LEVELS, type Config, type LogLevel, type TrustProxy } from './settings/settings-table';

export interface Spec { name: string; def: string | undefined; type: Kind; doc: string; secret?: true; live: boolean }

/** Every variable in table order, by its environment name (.env.example and the README table). */
export const CONFIG_SPEC: readonly Spec[] = Object.values(SETTINGS as Record<string, Setting>)
  .map((s) => ({ name: s.env, def: s.def, type: s.type, doc: s.doc, secret: s.secret, live: s.live !== undefined }));

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

/** Reads `.env` (if present; real environment wins) and the environment. */
export function loadConfig(env: Env = process.env, envFile = '.env'): Config {
  const fromFile = existsSync(envFile) ? parseDotenv(readFileSync(envFile)) : {};
  return parseConfig({ ...fromFile, ...env });
}

/** One property per table row; a `group.name` row lands in a nested (also frozen) object. */
export function parseConfig(env: Env): Config {
  const errors: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(SETTINGS as Record<string, Setting>)) {
    const raw = env[spec.env];
    const text = raw === undefined || (raw === '' && spec.type.kind !== 'string') ? spec.def : raw;
    const parsed = parseValue(spec, text);
    if (typeof parsed === 'object' && parsed !== null && 'error' in parsed) { errors.push(String(parsed.error)); continue; }
    const [group, field] = key.includes('.') ? key.split('.') : [null, key];
    if (group === null) out[field] = parsed;
    else out[group] = { ...(out[group] as object | undefined), [field]: parsed };
  }
  if (errors.length) throw new ConfigError(`Invalid configuration:\n  ${errors.join('\n  ')}`);
  for (const [k, v] of Object.entries(out)) if (typeof v === 'object' && v !== null && !Array.isArray(v)) out[k] = Object.freeze(v);
  return Object.freeze(out) as unknown as Config;
}

function parseValue(spec: Setting, text: string | undefined): unknown {
  const t = spec.type;
  if (text === undefined) return undefined;
  const bad = (form: string) => ({ error: `${spec.env}=${spec.secret ? '(hidden)' : JSON.stringify(text)} is not valid: expected ${form}` });
  switch (t.kind) {
    case 'int': {
      if (!/^\s*-?\d+\s*$/.test(text)) return bad(`an integer from ${t.min} to ${t.max}`);
      const num = Number(text);
      if (num < t.min || num > t.max) return bad(`an integer from ${t.min} to ${t.max}`);
      return num;
    }
    case 'enum':
      return t.values.includes(text.trim().toLowerCase()) ? text.trim().toLowerCase() : bad(`one of ${t.values.join(', ')}`);
    case 'url':
      try {
        const u = new URL(text);
        if (u.protocol !== 'http:' && u.protocol !== 'https:') return bad('an http(s) URL');
        return text.replace(/\/+$/, '');
      } catch { return bad('an http(s) URL'); }
    case 'trustProxy':
      return parseTrustProxy(text) ?? bad('false, true, a number of hops, or a comma list of proxy addresses/CIDRs');
    case 'string':
      // An empty value means "unset" for an optional string, and is kept as given otherwise.
      if (text === '') return t.optional ? undefined : '';
      if (t.minLength !== undefined && text.length < t.minLength) return { error: `${spec.env} must be at least ${t.minLength} characters` };
      if (t.maxLength !== undefined && text.length > t.maxLength) return { error: `${spec.env} must be at most ${t.maxLength} characters` };
      return text;
  }
}

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * `true` means one hop, the proxy in front of us, never "every hop": with every hop trusted the
 * client address is the left-most X-Forwarded-For entry, which the client itself writes.
 */
function parseTrustProxy(text: string): TrustProxy | null {
  const x = text.trim().toLowerCase();
  if (['false', 'no', 'off', '0', ''].includes(x)) return false;
  if (['true', 'yes', 'on'].includes(x)) return 1;
  if (/^\d{1,3}$/.test(x)) return Number(x);
  const list = x.split(',').map((p) => p.trim()).filter(Boolean);
  const valid = (p: string) => {
    if (PROXY_NAMES.includes(p)) return true;
    const [addr, bits, extra] = p.split('/');
    if (extra !== undefined || !isIP(addr)) return false;
    if (bits === undefined) return true;
    return /^\d{1,3}$/.test(bits) && Number(bits) <= (isIP(addr) === 4 ? 32 : 128);
  };
  return list.length && list.every(valid) ? list : null;
}
