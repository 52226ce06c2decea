// Everything the service holds while it runs, wired once: database, stores, projection, commands.
// main.ts and the tests build it the same way; app.ts serves HTTP on top of it.

import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Config } from './config';
import type { FreeLimits } from './domain/free-pacer';
import type { Random } from './domain/weighted-index';
import { KeyCommands } from './keys/key-commands';
import { SecretCache } from './keys/secret-cache';
import type { Log } from './log';
import { createMetrics, observeAppends, type Metrics } from './metrics';
import { Projection } from './projection/projection';
import { LiveSettings } from './settings/live-settings';
import { SecretSettings } from './settings/secret-settings';
import { closeDatabase, openDatabase, type Database } from './store/database';
import { EventStore } from './store/event-store';
import { MetaStore } from './store/meta-store';
import { SecretStore } from './store/secret-store';
import { SnapshotStore } from './store/snapshot-store';
import { SessionStore } from './store/session-store';
import { SECRET_CHANGED } from './domain/evolve';
import { claimSqliteFile, releaseSqliteFile } from './store/sqlite-owner';
import { scrubKeySecrets } from './logger';
import { mysqlReplication, type Replication } from './replica/replication';
import { RequestLog } from './request-log/request-log';

export interface Runtime {
  config: Config;
  log: Log;
  origin: string;
  startedAt: number;
  db: Database;
  events: EventStore;
  snapshots: SnapshotStore;
  meta: MetaStore;
  secretStore: SecretStore;
  projection: Projection;
  secrets: SecretCache;
  commands: KeyCommands;
  settings: LiveSettings;
  metrics: Metrics;
  secretSettings: SecretSettings;
  /** Set on the first start without ADMIN_PASSWORD: printed once, never stored in plain text. */
  generatedPassword: string | null;
  load: { fromSnapshot: boolean; replayed: number; ms: number };
  /** Whether this process runs the prober and writes snapshots (always, on SQLite). */
  isLeader: () => boolean;
  setLeader: (check: () => boolean) => void;
  /** With MySQL: the tailer of the shared log and the lease (null on SQLite, always single-process). */
  replica: Replication | null;
  /** One row per client request, written in batches (src/request-log). */
  requestLog: RequestLog;
  /** When the health probe and the credit refresh next run here (ms since epoch; null when stopped). */
  schedule: { nextProbeAt: number | null; nextCreditAt: number | null };
}

export interface RuntimeOptions { now?: () => number; random?: Random }

export async function createRuntime(config: Config, log: Log, opts: RuntimeOptions = {}): Promise<Runtime> {
  const started = performance.now();
  const db = await openDatabase(config);
  const origin = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  try {
    const meta = new MetaStore(db);
    if (db.type === 'sqlite') await claimSqliteFile(meta, config.sqlitePath, origin);
    const secretStore = new SecretStore(db, config.keyEncryptionSecret);
    await secretStore.verify();
    const events = new EventStore(db, origin);
    const snapshots = new SnapshotStore(db);
    let leader: () => boolean = () => true;
    let settings: LiveSettings | null = null;
    const projection: Projection = new Projection({
      events, snapshots, log, now: opts.now, random: opts.random,
      flushMs: config.eventFlushMs, snapshotEvery: config.snapshotEveryEvents, snapshotsKept: config.snapshotsKept,
      isLeader: () => leader(),
      // With MySQL the replication writes snapshots, of the log-order state (src/replica).
      writesSnapshots: db.type === 'mysql' ? () => false : undefined,
      freeLimits: (): FreeLimits => (settings ?? new LiveSettings(config, projection)).freeLimits(),
    });
    const loaded = await projection.load();
    const secrets = new SecretCache(secretStore, log, events);
    await secrets.load(projection);
    const secretSettings = new SecretSettings(meta);
    const { generatedPassword, adminPasswordReset } = await secretSettings.load(config);
    const commands = new KeyCommands(projection, secretStore, secrets);
    const rt: Runtime = {
      config, log, origin, startedAt: Date.now(), db, events, snapshots, meta, secretStore, projection, secrets, commands,
      settings: (settings = new LiveSettings(config, projection)), secretSettings, generatedPassword, metrics: createMetrics(),
      load: { fromSnapshot: loaded.fromSnapshot, replayed: loaded.replayed, ms: performance.now() - started },
      isLeader: () => leader(),
      setLeader: (check) => { leader = check; },
      replica: null,
      requestLog: new RequestLog({ db, config, log, now: () => projection.now(), isLeader: () => leader(), defaultModel: () => rt.settings.defaultModel }),
      schedule: { nextProbeAt: null, nextCreditAt: null },
    };
    let secretsVersion = projection.state.secretsVersion;
    projection.folded.subscribe(() => {
      if (projection.state.secretsVersion !== secretsVersion) {
        secretsVersion = projection.state.secretsVersion;
        void secretSettings.reload(config).catch((err) => log.error({ err }, 'cannot reload secret settings'));
      }
    });
    scrubKeySecrets(rt); // OpenRouter-shaped keys are masked anyway; keys of other shapes are learnt here
    observeAppends(rt.metrics, projection.appended);
    await seedOnFirstStart(rt);
    if (adminPasswordReset) await recordPasswordReset(rt, 'system');
    if (db.type === 'mysql') {
      const replica = mysqlReplication({
        db, events, snapshots, projection, origin, log, pollMs: config.replicaPollMs, gapWaitMs: config.replicaGapWaitMs,
        leaseSeconds: config.leaseSeconds, snapshotEvery: config.snapshotEveryEvents, snapshotsKept: config.snapshotsKept, now: opts.now,
      });
      await replica.start();
      rt.replica = replica;
      rt.setLeader(() => replica.isLeader);
    }
    projection.start();
    rt.requestLog.start();
    return rt;
  } catch (err) {
    await closeDatabase(db).catch(() => undefined);
    throw err;
  }
}

/** OPENROUTER_API_KEYS is imported once, on the very first start; later starts ignore it. */
async function seedOnFirstStart(rt: Runtime): Promise<void> {
  if (!rt.config.seedKeys || rt.projection.state.everAdded > 0) return;
  const report = await rt.commands.addKeys(rt.config.seedKeys, 'seed');
  rt.log.info({ added: report.added_count, duplicates: report.duplicate_count, invalid: report.invalid_count, problems: report.error_messages, warnings: report.warnings }, 'seeded keys from OPENROUTER_API_KEYS');
}

/**
 * A new admin password from outside the dashboard (a changed ADMIN_PASSWORD, or the reset script):
 * every open session ends, the history says so, and other replicas re-read the password.
 */
export async function recordPasswordReset(rt: Pick<Runtime, 'db' | 'projection' | 'log'>, actor: 'system' | 'admin'): Promise<void> {
  const ended = await new SessionStore(rt.db).closeAll();
  rt.log.warn({ sessions_ended: ended }, 'the admin password was reset from outside the dashboard; every admin session ended');
  await rt.projection.command(() => ({
    events: [{ type: 'SettingsChanged', at: rt.projection.now(), key_id: null, actor, data: { changes: { admin_password: SECRET_CHANGED } } }],
    result: null,
  }));
}

/** Flushes, snapshots, closes the database. */
export async function closeRuntime(rt: Runtime): Promise<void> {
  try {
    await rt.requestLog.stop();
    await rt.replica?.stop();
    await rt.projection.stop();
  } finally {
    if (rt.db.type === 'sqlite') await releaseSqliteFile(rt.meta, rt.origin).catch(() => undefined);
    await closeDatabase(rt.db);
  }
}
