// Configuration: the environment plus an optional .env file, parsed and validated once into a frozen
// object. This is the only module that reads process.env. A value that does not parse stops the start.

import { parse as parseDotenv } from 'dotenv';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

type Kind =
  | { kind: 'int'; min: number; max: number }
  | { kind: 'string'; optional?: boolean }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'bool' }
  | { kind: 'url' }
  | { kind: 'trustProxy' };

interface Spec { name: string; def: string | undefined; type: Kind; doc: string; secret?: boolean }

const int = (min: number, max: number): Kind => ({ kind: 'int', min, max });
const str: Kind = { kind: 'string' };
const opt: Kind = { kind: 'string', optional: true };

/** Every variable, its default and what it does. .env.example and the README table come from this. */
export const CONFIG_SPEC: readonly Spec[] = [
  { name: 'PORT', def: '8000', type: int(0, 65535), doc: 'HTTP port' },
  { name: 'HOST', def: '0.0.0.0', type: str, doc: 'interface to listen on' },
  { name: 'DB_TYPE', def: 'sqlite', type: { kind: 'enum', values: ['sqlite', 'mysql'] }, doc: 'sqlite (single process) or mysql (production, replicas)' },
  { name: 'DB_CONNECTION_STRING_SQLITE', def: 'openrouter_keys.db', type: str, doc: 'SQLite file path' },
  { name: 'MYSQL_HOST', def: '127.0.0.1', type: str, doc: 'MySQL host' },
  { name: 'MYSQL_PORT', def: '3306', type: int(1, 65535), doc: 'MySQL port' },
  { name: 'MYSQL_DBNAME', def: 'openrouter_polling', type: str, doc: 'MySQL database' },
  { name: 'MYSQL_USER', def: 'root', type: str, doc: 'MySQL user' },
  { name: 'MYSQL_PASSWORD', def: '', type: opt, doc: 'MySQL password', secret: true },
  { name: 'ADMIN_PASSWORD', def: undefined, type: opt, doc: 'dashboard password; when unset a random one is generated at first start and printed once', secret: true },
  { name: 'OPENROUTER_API_KEYS', def: undefined, type: opt, doc: 'keys imported on the very first start only: key1,key2:weight (commas or newlines)', secret: true },
  { name: 'APP_API_KEY', def: undefined, type: opt, doc: 'when set, clients must send Authorization: Bearer <APP_API_KEY> (on /v1/messages x-api-key works too; a live setting)', secret: true },
  { name: 'LOG_LEVEL', def: 'info', type: { kind: 'enum', values: LOG_LEVELS }, doc: 'fatal, error, warn, info, debug, trace or silent (live setting)' },
  { name: 'DEFAULT_MODEL', def: 'deepseek/deepseek-chat-v3-0324:free', type: str, doc: 'model used when a request names none (live setting)' },
  { name: 'REQUEST_TIMEOUT_SECONDS', def: '180', type: int(1, 3600), doc: 'non-streaming total timeout and streaming first-byte timeout (live setting)' },
  { name: 'STREAM_IDLE_TIMEOUT_SECONDS', def: '120', type: int(1, 3600), doc: 'longest silence between two stream chunks' },
  { name: 'KEY_FAILURE_COOLDOWN_SECONDS', def: '600', type: int(1, 86400 * 7), doc: 'base cooldown; doubles with each consecutive failure (live setting)' },
  { name: 'KEY_MAX_COOLDOWN_SECONDS', def: '86400', type: int(1, 86400 * 30), doc: 'cap on the dynamic cooldown' },
  { name: 'KEY_MAX_CONSECUTIVE_FAILURES', def: '3', type: int(1, 1000), doc: 'consecutive key failures that make a key inactive (live setting)' },
  { name: 'RETRY_WITH_NEW_KEY_COUNT', def: '4', type: int(0, 100), doc: 'extra keys one request may try after the first fails (live setting)' },
  { name: 'FREE_REQUESTS_PER_WINDOW', def: '20', type: int(1, 100_000), doc: 'requests one key may send to :free models per window, until OpenRouter names its own limit (live setting)' },
  { name: 'FREE_WINDOW_SECONDS', def: '60', type: int(1, 86400), doc: 'length of the free-model window counted per key (live setting)' },
  { name: 'FREE_REQUESTS_PER_DAY', def: '50', type: int(1, 10_000_000), doc: 'requests one key may send to :free models per UTC day, until OpenRouter names its own quota (live setting)' },
  { name: 'WAIT_FOR_KEY_MS', def: '3000', type: int(0, 60_000), doc: 'a request no key can serve now waits up to this long for the earliest key to return; 0 answers at once (live setting)' },
  { name: 'HEALTH_CHECK_INTERVAL_SECONDS', def: '300', type: int(1, 86400), doc: 'how often inactive keys are probed with GET /key (live setting)' },
  { name: 'HEALTH_CHECK_CONCURRENCY', def: '4', type: int(1, 64), doc: 'probes in flight at once' },
  { name: 'HEALTH_CHECK_TIMEOUT_SECONDS', def: '10', type: int(1, 600), doc: 'timeout of one probe' },
  { name: 'HTTP_REFERER', def: undefined, type: opt, doc: 'HTTP-Referer sent upstream (app attribution)' },
  { name: 'X_TITLE', def: undefined, type: opt, doc: 'X-Title sent upstream (app attribution)' },
  { name: 'OPENROUTER_BASE_URL', def: 'https://openrouter.ai/api/v1', type: { kind: 'url' }, doc: 'upstream base URL (tests point it at a local mock)' },
  { name: 'MODELS_CACHE_SECONDS', def: '300', type: int(0, 86400), doc: 'how long GET /v1/models is cached' },
  { name: 'BODY_LIMIT_BYTES', def: '10485760', type: int(1024, 1024 * 1024 * 1024), doc: 'largest /v1 request body accepted (413 above)' },
  { name: 'ADMIN_BODY_LIMIT_BYTES', def: '2097152', type: int(1024, 1024 * 1024 * 1024), doc: 'largest admin request body accepted (413 above; 2 MiB holds about 25,000 keys)' },
  { name: 'HTTP_HEADERS_TIMEOUT_SECONDS', def: '30', type: int(1, 3600), doc: 'a client must send its request headers within this time, or the connection is closed' },
  { name: 'HTTP_REQUEST_TIMEOUT_SECONDS', def: '300', type: int(1, 86400), doc: 'a client must send its whole request (headers and body) within this time (408); answers and streams have no such deadline' },
  { name: 'HTTP_KEEP_ALIVE_TIMEOUT_SECONDS', def: '72', type: int(1, 3600), doc: 'an idle kept-alive connection is closed after this long (above a load balancer\'s usual 60 s)' },
  { name: 'SESSION_SECRET', def: undefined, type: opt, doc: 'secret for admin session cookies (32+ chars); generated once and kept in the database when unset', secret: true },
  { name: 'SESSION_IDLE_MINUTES', def: '60', type: int(1, 60 * 24 * 30), doc: 'admin session expires after this much inactivity' },
  { name: 'SESSION_MAX_HOURS', def: '24', type: int(1, 24 * 365), doc: 'admin session expires this long after login, whatever the activity' },
  { name: 'TRUST_PROXY', def: 'false', type: { kind: 'trustProxy' }, doc: 'reverse proxies whose X-Forwarded-* count (client IP, https): false; true (= 1 hop); a number of hops; or a comma list of proxy addresses/CIDRs (also loopback, linklocal, uniquelocal)' },
  { name: 'LOGIN_MAX_FAILURES', def: '5', type: int(1, 1000), doc: 'failed logins from one client before it must wait' },
  { name: 'LOGIN_MAX_FAILURES_TOTAL', def: '50', type: int(1, 1_000_000), doc: 'failed logins from all clients together within LOGIN_LOCKOUT_SECONDS before every login must wait (so many spoofed or rotating addresses cannot guess on)' },
  { name: 'LOGIN_LOCKOUT_SECONDS', def: '300', type: int(1, 86400), doc: 'how long a client that failed too often must wait' },
  { name: 'KEY_ENCRYPTION_SECRET', def: undefined, type: opt, doc: 'when set, upstream keys are stored encrypted (AES-256-GCM) with a key derived from it', secret: true },
  { name: 'SNAPSHOT_EVERY_EVENTS', def: '1000', type: int(1, 10_000_000), doc: 'write a snapshot after this many events' },
  { name: 'SNAPSHOTS_KEPT', def: '3', type: int(1, 100), doc: 'how many snapshots to keep' },
  { name: 'EVENT_FLUSH_MS', def: '250', type: int(1, 10_000), doc: 'proxy and probe outcomes are appended in one transaction at most this often' },
  { name: 'REPLICA_POLL_MS', def: '500', type: int(50, 60_000), doc: 'MySQL: how often a replica reads the events others appended' },
  { name: 'REPLICA_GAP_WAIT_MS', def: '5000', type: int(0, 600_000), doc: 'MySQL: how long a gap in the event sequence is held open before reading past it' },
  { name: 'LEASE_SECONDS', def: '15', type: int(2, 3600), doc: 'MySQL: how long the prober/snapshot lease lasts without renewal' },
  { name: 'SHUTDOWN_GRACE_SECONDS', def: '30', type: int(0, 3600), doc: 'on SIGTERM, how long in-flight requests and streams may take to finish' },
  { name: 'METRICS_TOKEN', def: undefined, type: opt, doc: 'when set, GET /metrics needs Authorization: Bearer <METRICS_TOKEN>', secret: true },
];

export interface Config {
  port: number; host: string;
  dbType: 'sqlite' | 'mysql'; sqlitePath: string;
  mysql: { host: string; port: number; database: string; user: string; password: string };
  adminPassword: string | undefined; seedKeys: string | undefined; appApiKey: string | undefined;
  logLevel: LogLevel; defaultModel: string;
  requestTimeoutSeconds: number; streamIdleTimeoutSeconds: number;
  keyFailureCooldownSeconds: number; keyMaxCooldownSeconds: number; keyMaxConsecutiveFailures: number;
  retryWithNewKeyCount: number;
  freeRequestsPerWindow: number; freeWindowSeconds: number; freeRequestsPerDay: number; waitForKeyMs: number;
  healthCheckIntervalSeconds: number; healthCheckConcurrency: number; healthCheckTimeoutSeconds: number;
  httpReferer: string | undefined; xTitle: string | undefined;
  openrouterBaseUrl: string; modelsCacheSeconds: number; bodyLimitBytes: number;
  adminBodyLimitBytes: number;
  httpHeadersTimeoutSeconds: number; httpRequestTimeoutSeconds: number; httpKeepAliveTimeoutSeconds: number;
  sessionSecret: string | undefined; sessionIdleMinutes: number; sessionMaxHours: number; trustProxy: TrustProxy;
  loginMaxFailures: number; loginMaxFailuresTotal: number; loginLockoutSeconds: number;
  keyEncryptionSecret: string | undefined;
  snapshotEveryEvents: number; snapshotsKept: number; eventFlushMs: number;
  replicaPollMs: number; replicaGapWaitMs: number; leaseSeconds: number;
  shutdownGraceSeconds: number; metricsToken: string | undefined;
}

/** false; a number of proxy hops to trust; or the proxies' addresses/CIDRs (fastify's trustProxy forms). */
export type TrustProxy = false | number | string[];

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

/** Reads `.env` (if present; real environment wins) and the environment. */
export function loadConfig(env: Env = process.env, envFile = '.env'): Config {
  const fromFile = existsSync(envFile) ? parseDotenv(readFileSync(envFile)) : {};
  return parseConfig({ ...fromFile, ...env });
}

export function parseConfig(env: Env): Config {
  const errors: string[] = [];
  const v = new Map<string, unknown>();
  for (const spec of CONFIG_SPEC) {
    const raw = env[spec.name];
    const text = raw === undefined || (raw === '' && spec.type.kind !== 'string') ? spec.def : raw;
    const parsed = parseValue(spec, text);
    if (typeof parsed === 'object' && parsed !== null && 'error' in parsed) errors.push(String(parsed.error));
    else v.set(spec.name, parsed);
  }
  if (errors.length) throw new ConfigError(`Invalid configuration:\n  ${errors.join('\n  ')}`);
  const s = (n: string) => v.get(n) as string;
  const o = (n: string) => { const x = v.get(n) as string | undefined; return x === undefined || x === '' ? undefined : x; };
  const n = (n: string) => v.get(n) as number;
  const sessionSecret = o('SESSION_SECRET');
  if (sessionSecret !== undefined && sessionSecret.length < 32) {
    throw new ConfigError('Invalid configuration:\n  SESSION_SECRET must be at least 32 characters');
  }
  return Object.freeze({
    port: n('PORT'), host: s('HOST'),
    dbType: s('DB_TYPE') as 'sqlite' | 'mysql', sqlitePath: s('DB_CONNECTION_STRING_SQLITE'),
    mysql: Object.freeze({ host: s('MYSQL_HOST'), port: n('MYSQL_PORT'), database: s('MYSQL_DBNAME'), user: s('MYSQL_USER'), password: s('MYSQL_PASSWORD') ?? '' }),
    adminPassword: o('ADMIN_PASSWORD'), seedKeys: o('OPENROUTER_API_KEYS'), appApiKey: o('APP_API_KEY'),
    logLevel: s('LOG_LEVEL') as LogLevel, defaultModel: s('DEFAULT_MODEL'),
    requestTimeoutSeconds: n('REQUEST_TIMEOUT_SECONDS'), streamIdleTimeoutSeconds: n('STREAM_IDLE_TIMEOUT_SECONDS'),
    keyFailureCooldownSeconds: n('KEY_FAILURE_COOLDOWN_SECONDS'), keyMaxCooldownSeconds: n('KEY_MAX_COOLDOWN_SECONDS'),
    keyMaxConsecutiveFailures: n('KEY_MAX_CONSECUTIVE_FAILURES'), retryWithNewKeyCount: n('RETRY_WITH_NEW_KEY_COUNT'),
    freeRequestsPerWindow: n('FREE_REQUESTS_PER_WINDOW'), freeWindowSeconds: n('FREE_WINDOW_SECONDS'),
    freeRequestsPerDay: n('FREE_REQUESTS_PER_DAY'), waitForKeyMs: n('WAIT_FOR_KEY_MS'),
    healthCheckIntervalSeconds: n('HEALTH_CHECK_INTERVAL_SECONDS'), healthCheckConcurrency: n('HEALTH_CHECK_CONCURRENCY'),
    healthCheckTimeoutSeconds: n('HEALTH_CHECK_TIMEOUT_SECONDS'),
    httpReferer: o('HTTP_REFERER'), xTitle: o('X_TITLE'),
    openrouterBaseUrl: s('OPENROUTER_BASE_URL').replace(/\/+$/, ''), modelsCacheSeconds: n('MODELS_CACHE_SECONDS'),
    bodyLimitBytes: n('BODY_LIMIT_BYTES'), adminBodyLimitBytes: n('ADMIN_BODY_LIMIT_BYTES'),
    httpHeadersTimeoutSeconds: n('HTTP_HEADERS_TIMEOUT_SECONDS'), httpRequestTimeoutSeconds: n('HTTP_REQUEST_TIMEOUT_SECONDS'),
    httpKeepAliveTimeoutSeconds: n('HTTP_KEEP_ALIVE_TIMEOUT_SECONDS'),
    sessionSecret, sessionIdleMinutes: n('SESSION_IDLE_MINUTES'), sessionMaxHours: n('SESSION_MAX_HOURS'),
    trustProxy: v.get('TRUST_PROXY') as TrustProxy,
    loginMaxFailures: n('LOGIN_MAX_FAILURES'), loginMaxFailuresTotal: n('LOGIN_MAX_FAILURES_TOTAL'), loginLockoutSeconds: n('LOGIN_LOCKOUT_SECONDS'),
    keyEncryptionSecret: o('KEY_ENCRYPTION_SECRET'),
    snapshotEveryEvents: n('SNAPSHOT_EVERY_EVENTS'), snapshotsKept: n('SNAPSHOTS_KEPT'), eventFlushMs: n('EVENT_FLUSH_MS'),
    replicaPollMs: n('REPLICA_POLL_MS'), replicaGapWaitMs: n('REPLICA_GAP_WAIT_MS'), leaseSeconds: n('LEASE_SECONDS'),
    shutdownGraceSeconds: n('SHUTDOWN_GRACE_SECONDS'), metricsToken: o('METRICS_TOKEN'),
  });
}

function parseValue(spec: Spec, text: string | undefined): unknown {
  const t = spec.type;
  if (text === undefined) return undefined;
  const bad = (form: string) => ({ error: `${spec.name}=${spec.secret ? '(hidden)' : JSON.stringify(text)} is not valid: expected ${form}` });
  switch (t.kind) {
    case 'int': {
      if (!/^\s*-?\d+\s*$/.test(text)) return bad(`an integer from ${t.min} to ${t.max}`);
      const num = Number(text);
      if (num < t.min || num > t.max) return bad(`an integer from ${t.min} to ${t.max}`);
      return num;
    }
    case 'enum':
      return t.values.includes(text.trim().toLowerCase()) ? text.trim().toLowerCase() : bad(`one of ${t.values.join(', ')}`);
    case 'bool': {
      const x = text.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(x)) return true;
      if (['0', 'false', 'no', 'off'].includes(x)) return false;
      return bad('true or false');
    }
    case 'url':
      try {
        const u = new URL(text);
        if (u.protocol !== 'http:' && u.protocol !== 'https:') return bad('an http(s) URL');
        return text;
      } catch { return bad('an http(s) URL'); }
    case 'trustProxy':
      return parseTrustProxy(text) ?? bad('false, true, a number of hops, or a comma list of proxy addresses/CIDRs');
    case 'string':
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
