// Every setting, defined once: its environment name, default, type and range, doc, whether it is a
// secret, and, for a live setting, its API name and its dashboard field. The Config type and its
// parsing (src/config.ts), .env.example and the README table (scripts/gen-env-example.ts), the live
// settings and their POST /admin/settings checks (src/settings, src/admin/settings-routes.ts) and the
// dashboard's settings form (admin-ui) all derive from this table.
//
// The dashboard bundles this module, so it imports nothing: no node module, no other source file.

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** false; a number of proxy hops to trust; or the proxies' addresses/CIDRs (fastify's trustProxy forms). */
export type TrustProxy = false | number | string[];

export type Kind =
  | { readonly kind: 'int'; readonly min: number; readonly max: number }
  | { readonly kind: 'string'; readonly optional?: boolean; readonly minLength?: number; readonly maxLength?: number }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly kind: 'url' }
  | { readonly kind: 'trustProxy' };

/** How the dashboard shows a live setting. */
export interface Field { readonly label: string; readonly unit?: string; readonly hint: string }

export interface Setting {
  readonly env: string;
  readonly def: string | undefined;
  readonly type: Kind;
  readonly doc: string;
  readonly secret?: true;
  /** Changeable at run time through POST /admin/settings under `api`, shown in the dashboard as `field`. */
  readonly live?: { readonly api: string; readonly field: Field };
}

const int = <Min extends number, Max extends number>(min: Min, max: Max) => ({ kind: 'int', min, max }) as const;
const str = { kind: 'string' } as const;
const opt = { kind: 'string', optional: true } as const;

/**
 * Keyed by the Config property; `group.name` keys become a nested object (`mysql.host` → config.mysql.host).
 * The order is the order of .env.example and the README table. A doc ends without "(live setting)":
 * the generator adds it for every setting with `live`.
 */
export const SETTINGS = {
  port: { env: 'PORT', def: '8000', type: int(0, 65535), doc: 'HTTP port' },
  host: { env: 'HOST', def: '0.0.0.0', type: str, doc: 'interface to listen on' },
  dbType: { env: 'DB_TYPE', def: 'sqlite', type: { kind: 'enum', values: ['sqlite', 'mysql'] }, doc: 'sqlite (single process) or mysql (production, replicas)' },
  sqlitePath: { env: 'DB_CONNECTION_STRING_SQLITE', def: 'openrouter_keys.db', type: str, doc: 'SQLite file path' },
  'mysql.host': { env: 'MYSQL_HOST', def: '127.0.0.1', type: str, doc: 'MySQL host' },
  'mysql.port': { env: 'MYSQL_PORT', def: '3306', type: int(1, 65535), doc: 'MySQL port' },
  'mysql.database': { env: 'MYSQL_DBNAME', def: 'openrouter_polling', type: str, doc: 'MySQL database' },
  'mysql.user': { env: 'MYSQL_USER', def: 'root', type: str, doc: 'MySQL user' },
  'mysql.password': { env: 'MYSQL_PASSWORD', def: '', type: str, doc: 'MySQL password', secret: true },
  adminPassword: { env: 'ADMIN_PASSWORD', def: undefined, type: opt, doc: 'dashboard password; when unset a random one is generated at first start and printed once', secret: true },
  seedKeys: { env: 'OPENROUTER_API_KEYS', def: undefined, type: opt, doc: 'keys imported on the very first start only: key1,key2:weight (commas or newlines)', secret: true },
  appApiKey: { env: 'APP_API_KEY', def: undefined, type: opt, doc: 'when set, clients must send Authorization: Bearer <APP_API_KEY> (on /v1/messages x-api-key works too; a live setting)', secret: true },
  logLevel: {
    env: 'LOG_LEVEL', def: 'info', type: { kind: 'enum', values: LOG_LEVELS }, doc: 'fatal, error, warn, info, debug, trace or silent',
    live: { api: 'log_level', field: { label: 'Log level', hint: 'Server log verbosity.' } },
  },
  defaultModel: {
    env: 'DEFAULT_MODEL', def: 'deepseek/deepseek-chat-v3-0324:free', type: { kind: 'string', minLength: 1, maxLength: 200 }, doc: 'model used when a request names none',
    live: { api: 'default_model', field: { label: 'Default model', hint: 'Used when a request names no model.' } },
  },
  requestTimeoutSeconds: {
    env: 'REQUEST_TIMEOUT_SECONDS', def: '180', type: int(1, 3600), doc: 'non-streaming total timeout and streaming first-byte timeout',
    live: { api: 'request_timeout_seconds', field: { label: 'Request timeout', unit: 's', hint: 'Upstream deadline for one non-streaming request, and for the first byte of a stream.' } },
  },
  streamIdleTimeoutSeconds: { env: 'STREAM_IDLE_TIMEOUT_SECONDS', def: '120', type: int(1, 3600), doc: 'longest silence between two stream chunks' },
  keyFailureCooldownSeconds: {
    env: 'KEY_FAILURE_COOLDOWN_SECONDS', def: '600', type: int(1, 86400 * 7), doc: 'base cooldown; doubles with each consecutive failure',
    live: { api: 'key_failure_cooldown_seconds', field: { label: 'Failure cooldown', unit: 's', hint: 'Base cooldown for a failing key; grows with consecutive failures.' } },
  },
  keyMaxCooldownSeconds: { env: 'KEY_MAX_COOLDOWN_SECONDS', def: '86400', type: int(1, 86400 * 30), doc: 'cap on the dynamic cooldown' },
  keyMaxConsecutiveFailures: {
    env: 'KEY_MAX_CONSECUTIVE_FAILURES', def: '3', type: int(1, 1000), doc: 'consecutive key failures that make a key inactive',
    live: { api: 'key_max_consecutive_failures', field: { label: 'Max consecutive failures', hint: 'A key with this many failures in a row becomes inactive.' } },
  },
  retryWithNewKeyCount: {
    env: 'RETRY_WITH_NEW_KEY_COUNT', def: '4', type: int(0, 100), doc: 'extra keys one request may try after the first fails',
    live: { api: 'retry_with_new_key_count', field: { label: 'Retries with a new key', hint: 'One request tries at most 1 + this many keys.' } },
  },
  freeRequestsPerWindow: {
    env: 'FREE_REQUESTS_PER_WINDOW', def: '20', type: int(1, 100_000), doc: 'requests one key may send to :free models per window, until OpenRouter names its own limit',
    live: { api: 'free_requests_per_window', field: { label: 'Free requests per key and window', hint: 'How many :free requests one key may send per window (OpenRouter allows 20 a minute); a limit OpenRouter names for a key wins.' } },
  },
  freeWindowSeconds: {
    env: 'FREE_WINDOW_SECONDS', def: '60', type: int(1, 86400), doc: 'length of the free-model window counted per key',
    live: { api: 'free_window_seconds', field: { label: 'Free window', unit: 's', hint: 'The window the free requests above are counted in.' } },
  },
  freeRequestsPerDay: {
    env: 'FREE_REQUESTS_PER_DAY', def: '50', type: int(1, 10_000_000), doc: 'requests one key may send to :free models per UTC day, until OpenRouter names its own quota',
    live: { api: 'free_requests_per_day', field: { label: 'Free requests per key and day', hint: 'The daily :free quota of one key (50, or 1000 once the account bought 10 credits).' } },
  },
  waitForKeyMs: {
    env: 'WAIT_FOR_KEY_MS', def: '3000', type: int(0, 60_000), doc: 'a request no key can serve now waits up to this long for the earliest key to return; 0 answers at once',
    live: { api: 'wait_for_key_ms', field: { label: 'Wait for a key', unit: 'ms', hint: 'A request no key can serve now waits this long for the earliest key to return; 0 answers at once.' } },
  },
  healthCheckIntervalSeconds: {
    env: 'HEALTH_CHECK_INTERVAL_SECONDS', def: '300', type: int(1, 86400), doc: 'how often inactive keys are probed with GET /key',
    live: { api: 'health_check_interval_seconds', field: { label: 'Health check interval', unit: 's', hint: 'How often inactive keys are probed.' } },
  },
  healthCheckConcurrency: { env: 'HEALTH_CHECK_CONCURRENCY', def: '4', type: int(1, 64), doc: 'probes in flight at once' },
  healthCheckTimeoutSeconds: { env: 'HEALTH_CHECK_TIMEOUT_SECONDS', def: '10', type: int(1, 600), doc: 'timeout of one probe' },
  httpReferer: { env: 'HTTP_REFERER', def: undefined, type: opt, doc: 'HTTP-Referer sent upstream (app attribution)' },
  xTitle: { env: 'X_TITLE', def: undefined, type: opt, doc: 'X-Title sent upstream (app attribution)' },
  openrouterBaseUrl: { env: 'OPENROUTER_BASE_URL', def: 'https://openrouter.ai/api/v1', type: { kind: 'url' }, doc: 'upstream base URL (tests point it at a local mock)' },
  modelsCacheSeconds: { env: 'MODELS_CACHE_SECONDS', def: '300', type: int(0, 86400), doc: 'how long GET /v1/models is cached' },
  bodyLimitBytes: { env: 'BODY_LIMIT_BYTES', def: '10485760', type: int(1024, 1024 * 1024 * 1024), doc: 'largest /v1 request body accepted (413 above)' },
  adminBodyLimitBytes: { env: 'ADMIN_BODY_LIMIT_BYTES', def: '2097152', type: int(1024, 1024 * 1024 * 1024), doc: 'largest admin request body accepted (413 above; 2 MiB holds about 25,000 keys)' },
  httpHeadersTimeoutSeconds: { env: 'HTTP_HEADERS_TIMEOUT_SECONDS', def: '30', type: int(1, 3600), doc: 'a client must send its request headers within this time, or the connection is closed' },
  httpRequestTimeoutSeconds: { env: 'HTTP_REQUEST_TIMEOUT_SECONDS', def: '300', type: int(1, 86400), doc: 'a client must send its whole request (headers and body) within this time (408); answers and streams have no such deadline' },
  httpKeepAliveTimeoutSeconds: { env: 'HTTP_KEEP_ALIVE_TIMEOUT_SECONDS', def: '72', type: int(1, 3600), doc: 'an idle kept-alive connection is closed after this long (above a load balancer\'s usual 60 s)' },
  sessionSecret: { env: 'SESSION_SECRET', def: undefined, type: { kind: 'string', optional: true, minLength: 32 }, doc: 'secret for admin session cookies (32+ chars); generated once and kept in the database when unset', secret: true },
  sessionIdleMinutes: { env: 'SESSION_IDLE_MINUTES', def: '60', type: int(1, 60 * 24 * 30), doc: 'admin session expires after this much inactivity' },
  sessionMaxHours: { env: 'SESSION_MAX_HOURS', def: '24', type: int(1, 24 * 365), doc: 'admin session expires this long after login, whatever the activity' },
  trustProxy: { env: 'TRUST_PROXY', def: 'false', type: { kind: 'trustProxy' }, doc: 'reverse proxies whose X-Forwarded-* count (client IP, https): false; true (= 1 hop); a number of hops; or a comma list of proxy addresses/CIDRs (also loopback, linklocal, uniquelocal)' },
  loginMaxFailures: { env: 'LOGIN_MAX_FAILURES', def: '5', type: int(1, 1000), doc: 'failed logins from one client before it must wait' },
  loginMaxFailuresTotal: { env: 'LOGIN_MAX_FAILURES_TOTAL', def: '50', type: int(1, 1_000_000), doc: 'failed logins from all clients together within LOGIN_LOCKOUT_SECONDS before every login must wait (so many spoofed or rotating addresses cannot guess on)' },
  loginLockoutSeconds: { env: 'LOGIN_LOCKOUT_SECONDS', def: '300', type: int(1, 86400), doc: 'how long a client that failed too often must wait' },
  keyEncryptionSecret: { env: 'KEY_ENCRYPTION_SECRET', def: undefined, type: opt, doc: 'when set, upstream keys are stored encrypted (AES-256-GCM) with a key derived from it', secret: true },
  snapshotEveryEvents: { env: 'SNAPSHOT_EVERY_EVENTS', def: '1000', type: int(1, 10_000_000), doc: 'write a snapshot after this many events' },
  snapshotsKept: { env: 'SNAPSHOTS_KEPT', def: '3', type: int(1, 100), doc: 'how many snapshots to keep' },
  eventFlushMs: { env: 'EVENT_FLUSH_MS', def: '250', type: int(1, 10_000), doc: 'proxy and probe outcomes are appended in one transaction at most this often' },
  replicaPollMs: { env: 'REPLICA_POLL_MS', def: '500', type: int(50, 60_000), doc: 'MySQL: how often a replica reads the events others appended' },
  replicaGapWaitMs: { env: 'REPLICA_GAP_WAIT_MS', def: '5000', type: int(0, 600_000), doc: 'MySQL: a missing seq is waited for the longer of 30 s and six times this before the log-order state reads past it (the live pool shows what is above it at once)' },
  leaseSeconds: { env: 'LEASE_SECONDS', def: '15', type: int(2, 3600), doc: 'MySQL: how long the prober/snapshot lease lasts without renewal' },
  shutdownGraceSeconds: { env: 'SHUTDOWN_GRACE_SECONDS', def: '30', type: int(0, 3600), doc: 'on SIGTERM, how long in-flight requests and streams may take to finish' },
  requestLogRetentionDays: { env: 'REQUEST_LOG_RETENTION_DAYS', def: '7', type: int(1, 3650), doc: 'how long the request log keeps a request (pruned by the leader)' },
  requestLogFlushMs: { env: 'REQUEST_LOG_FLUSH_MS', def: '1000', type: int(10, 60_000), doc: 'request log rows are written in one transaction at most this often (and whenever 500 are waiting)' },
  requestLogQueue: { env: 'REQUEST_LOG_QUEUE', def: '20000', type: int(100, 10_000_000), doc: 'request log rows held while the database is slow; beyond it rows are dropped and counted' },
  creditRefreshMinutes: { env: 'CREDIT_REFRESH_MINUTES', def: '60', type: int(1, 10_080), doc: "how often every key's credit (GET /key) is refreshed, a few keys at a time" },
  metricsToken: { env: 'METRICS_TOKEN', def: undefined, type: opt, doc: 'when set, GET /metrics needs Authorization: Bearer <METRICS_TOKEN>', secret: true },
} as const satisfies Record<string, Setting>;

type Table = typeof SETTINGS;
export type SettingKey = keyof Table;

/** The value a setting parses to. */
export type ValueOf<S> =
  S extends { type: { kind: 'int' } } ? number
  : S extends { type: { kind: 'enum'; values: readonly (infer V)[] } } ? V
  : S extends { type: { kind: 'trustProxy' } } ? TrustProxy
  : S extends { type: { kind: 'string'; optional: true } } ? string | undefined
  : string;

type Group<K> = K extends `${infer G}.${string}` ? G : never;
type TopLevel = { readonly [K in SettingKey as K extends `${string}.${string}` ? never : K]: ValueOf<Table[K]> };
type Nested = { readonly [G in Group<SettingKey>]: { readonly [K in SettingKey as K extends `${G}.${infer F}` ? F : never]: ValueOf<Table[K]> } };

/** The parsed configuration (src/config.ts builds it), one property per row of SETTINGS. */
export type Config = TopLevel & Nested;

// Live settings: the rows with `live`, by their API names.
export type LiveKey = { [K in SettingKey]: Table[K] extends { live: object } ? K : never }[SettingKey];
export type LiveName = { [K in LiveKey]: Table[K]['live']['api'] }[LiveKey];
/** The GET /admin/settings view of the live settings (without the secret flags). */
export type LiveValues = { [K in LiveKey as Table[K]['live']['api']]: ValueOf<Table[K]> };

export interface LiveSetting { readonly key: LiveKey; readonly name: LiveName; readonly env: string; readonly type: Kind; readonly field: Field }

/** Every live setting in table order: what POST /admin/settings accepts and the dashboard shows. */
export const LIVE_SETTINGS: readonly LiveSetting[] = (Object.entries(SETTINGS) as [SettingKey, Setting][])
  .flatMap(([key, s]) => (s.live ? [{ key: key as LiveKey, name: s.live.api as LiveName, env: s.env, type: s.type, field: s.live.field }] : []));

export const LIVE_BY_NAME: ReadonlyMap<string, LiveSetting> = new Map(LIVE_SETTINGS.map((s) => [s.name, s]));
