// Real replicas for the multi-process suites: `node -r tsx/cjs src/main.ts` processes on one fresh MySQL
// database, each on a free port (PORT=0, read back from its "Server listening" line), in a temp working
// directory (so no .env is read), with short poll, lease and flush times. They can be stopped with
// SIGTERM (graceful: flush, last snapshot, lease handed back) or killed with SIGKILL.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { freshMysqlDatabase, MYSQL } from './mysql';
import { spawnServer, type ServerProcess } from './spawn-server';

export type { Exit } from './spawn-server';

export interface ReplicaProcess extends ServerProcess {
  name: string;
}

/** Environment every replica gets unless the test overrides it. */
export const REPLICA_ENV: Record<string, string> = {
  HOST: '127.0.0.1', LOG_LEVEL: 'info', ADMIN_PASSWORD: 'test-admin-password',
  EVENT_FLUSH_MS: '20', REPLICA_POLL_MS: '100', REPLICA_GAP_WAIT_MS: '300', LEASE_SECONDS: '2',
  HEALTH_CHECK_INTERVAL_SECONDS: '3600', SESSION_SECRET: 'replica-test-session-secret-0123456789abcdef',
};

/** Starts one process and waits until it listens and /readyz answers 200. */
export async function startProcess(name: string, env: Record<string, string>, cwd: string): Promise<ReplicaProcess> {
  const server = await spawnServer({ ...REPLICA_ENV, ...env }, cwd).catch((err: Error) => {
    throw new Error(`${name}: ${err.message}`);
  });
  try {
    await eventually(async () => (await request(`${server.url}/readyz`)).statusCode === 200, 10_000, `${name} ready`);
  } catch (err) {
    await server.kill();
    throw err;
  }
  return Object.assign(server, { name });
}

export interface Cluster {
  database: string;
  replicas: ReplicaProcess[];
  /** Starts replica `name` on the shared database. */
  start(name: string, env?: Record<string, string>): Promise<ReplicaProcess>;
  /** Kills what still runs, drops the database, removes the working directory. */
  close(): Promise<void>;
}

/** A fresh database and the environment shared by its replicas (e.g. OPENROUTER_BASE_URL). */
export async function startCluster(env: Record<string, string> = {}): Promise<Cluster> {
  const db = await freshMysqlDatabase();
  const cwd = mkdtempSync(join(tmpdir(), 'orp-replicas-'));
  const shared = {
    DB_TYPE: 'mysql', MYSQL_HOST: MYSQL.host, MYSQL_PORT: String(MYSQL.port), MYSQL_USER: MYSQL.user,
    MYSQL_PASSWORD: MYSQL.password, MYSQL_DBNAME: db.database, ...env,
  };
  const cluster: Cluster = {
    database: db.database,
    replicas: [],
    async start(name, more = {}) {
      const p = await startProcess(name, { ...shared, ...more }, cwd);
      cluster.replicas.push(p);
      return p;
    },
    async close() {
      await Promise.all(cluster.replicas.map((r) => r.kill()));
      await db.drop();
      rmSync(cwd, { recursive: true, force: true });
    },
  };
  return cluster;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Retries an async check until it holds; throws naming `what` after `ms`. */
export async function eventually(check: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  let last: unknown = null;
  for (;;) {
    try { if (await check()) return; last = null; } catch (err) { last = err; }
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await sleep(25);
  }
}
