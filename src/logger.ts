// pino JSON logs (pretty on a terminal), with every secret kept out of them twice over:
// `redact` censors the fields that carry one, and every finished line is scrubbed of the secrets
// this process knows (upstream keys, APP_API_KEY, passwords, session and encryption secrets) and of
// anything shaped like an OpenRouter key, so free text such as an upstream error body cannot leak one.

import pino, { type Logger } from 'pino';
import type { Config } from './config';
import { maskKey, parseKeyLines } from './domain/key-lines';
import type { Runtime } from './runtime';

export const REDACT_PATHS = [
  'req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]',
  'res.headers["set-cookie"]', 'headers.authorization', 'headers.Authorization', 'headers.cookie', 'headers["set-cookie"]',
  '*.headers.authorization', '*.headers.Authorization', '*.headers.cookie', '*.headers["set-cookie"]',
  'password', 'admin_password', 'app_api_key', 'secret', 'key_data', 'token', 'api_key', 'apiKey',
  'session_secret', 'sessionSecret', 'key_encryption_secret', 'keyEncryptionSecret', 'authorization', 'cookie',
  '*.password', '*.admin_password', '*.app_api_key', '*.secret', '*.key_data', '*.token', '*.api_key', '*.apiKey',
  '*.session_secret', '*.sessionSecret', '*.key_encryption_secret', '*.keyEncryptionSecret',
  '*.authorization', '*.Authorization', '*.cookie',
];

const OPENROUTER_KEY = /sk-or-v1-[0-9a-f]{64}/g;
const OPENROUTER_KEY_WHOLE = /^sk-or-v1-[0-9a-f]{64}$/;
const CENSOR = '[redacted]';
/** Shorter secrets are not searched for: masking every "abc" would wreck the lines, not protect anything. */
export const MIN_SCRUBBED_LENGTH = 6;

/**
 * Replaces known secrets in text. OpenRouter-shaped keys are found by one regular expression, so the
 * per-line cost does not grow with the pool; other secrets (config values, keys of another shape) are
 * searched one by one and are few.
 */
export class SecretScrubber {
  private readonly fixed = new Set<string>();
  private readonly sources: (() => Iterable<string>)[] = [];
  private others: string[] = [];
  private stale = true;

  add(secret: string | null | undefined): void {
    if (!secret || this.fixed.has(secret)) return;
    this.fixed.add(secret);
    this.stale = true;
  }

  /** A live set of secrets (the key cache); call `changed()` when it grows. */
  watch(source: () => Iterable<string>): void {
    this.sources.push(source);
    this.stale = true;
  }

  changed(): void { this.stale = true; }

  scrub(text: string): string {
    if (this.stale) this.rebuild();
    let out = text.includes('sk-or-v1-') ? text.replace(OPENROUTER_KEY, maskKey) : text;
    for (const s of this.others) if (out.includes(s)) out = out.split(s).join(CENSOR);
    return out;
  }

  private rebuild(): void {
    this.stale = false;
    const found = new Set<string>();
    const consider = (s: string) => {
      if (s.length < MIN_SCRUBBED_LENGTH || OPENROUTER_KEY_WHOLE.test(s)) return;
      found.add(s);
      const escaped = JSON.stringify(s).slice(1, -1); // how it appears inside a JSON log line
      if (escaped !== s) found.add(escaped);
    };
    for (const s of this.fixed) consider(s);
    for (const source of this.sources) for (const s of source()) consider(s);
    this.others = [...found].sort((a, b) => b.length - a.length); // a secret containing another goes first
  }
}

const scrubbers = new WeakMap<object, SecretScrubber>();

/** The scrubber behind a logger made by createLogger, to teach it secrets learnt later. */
export function scrubberOf(log: object): SecretScrubber | undefined {
  return scrubbers.get(log);
}

type LoggerConfig = Pick<Config, 'logLevel'> & Partial<Config>;

export function createLogger(config: LoggerConfig, destination?: pino.DestinationStream): Logger {
  const scrubber = new SecretScrubber();
  for (const s of configSecrets(config)) scrubber.add(s);
  const options: pino.LoggerOptions = {
    level: config.logLevel,
    redact: { paths: REDACT_PATHS, censor: CENSOR },
    base: { pid: process.pid },
  };
  const pretty = !destination && process.stdout.isTTY && process.env.NODE_ENV !== 'production' && hasPinoPretty();
  const target = destination
    ?? (pretty ? pino.transport({ target: 'pino-pretty', options: { colorize: true } }) : pino.destination({ dest: 1, sync: false }));
  const log = pino(options, { write: (line: string) => target.write(scrubber.scrub(line)) });
  scrubbers.set(log, scrubber);
  return log;
}

/** Every secret the configuration holds, seed keys included. */
export function configSecrets(config: Partial<Config>): string[] {
  const out = [config.appApiKey, config.adminPassword, config.sessionSecret, config.keyEncryptionSecret, config.mysql?.password, config.metricsToken];
  if (config.seedKeys) for (const l of parseKeyLines(config.seedKeys)) if (l.ok) out.push(l.secret);
  return out.filter((s): s is string => typeof s === 'string' && s !== '');
}

/** Teaches the runtime's logger every upstream key the secret cache holds, now and as keys are added. */
export function scrubKeySecrets(rt: Pick<Runtime, 'log' | 'secrets' | 'projection'>): void {
  const scrubber = scrubberOf(rt.log);
  if (!scrubber) return;
  scrubber.watch(() => rt.secrets.values());
  rt.projection.folded.subscribe(({ event }) => {
    if (event.type !== 'KeyAdded') return;
    scrubber.changed();
    setImmediate(() => scrubber.changed()); // the cache learns the secret right after the fold
  });
}

function hasPinoPretty(): boolean {
  try { require.resolve('pino-pretty'); return true; } catch { return false; }
}
