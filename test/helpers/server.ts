// A real server for integration tests: the same runtime and app as main.ts, on port 0, with its own
// database (a temp SQLite file, or a fresh MySQL database) and its log lines captured for inspection.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app';
import { drainConnections } from '../../src/http/drain';
import { parseConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/logger';
import { closeRuntime, createRuntime, type Runtime, type RuntimeOptions } from '../../src/runtime';
import { freshMysqlDatabase, MYSQL } from './mysql';

export interface TestServer {
  url: string;
  port: number;
  app: FastifyInstance;
  rt: Runtime;
  config: Config;
  /** Every log line written so far, raw. */
  logs: string[];
  /** Stops the server cleanly (flush + snapshot) and keeps the database for a restart. */
  stop(): Promise<void>;
  /** Starts a new server on the same database (and the same env, plus overrides). */
  restart(env?: Record<string, string>): Promise<TestServer>;
  /** Stops and removes the database. */
  close(): Promise<void>;
}

export interface TestServerOptions extends RuntimeOptions {
  env?: Record<string, string>;
  mysql?: boolean;
}

interface Place { env: Record<string, string>; cleanup: () => Promise<void> }

export async function startServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const place = await newPlace(opts.mysql ?? false);
  return boot({ ...place.env, ...opts.env }, opts, place.cleanup, []);
}

async function newPlace(mysql: boolean): Promise<Place> {
  if (mysql) {
    const db = await freshMysqlDatabase();
    return {
      env: {
        DB_TYPE: 'mysql', MYSQL_HOST: MYSQL.host, MYSQL_PORT: String(MYSQL.port), MYSQL_USER: MYSQL.user,
        MYSQL_PASSWORD: MYSQL.password, MYSQL_DBNAME: db.database,
      },
      cleanup: db.drop,
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'orp-test-'));
  return { env: { DB_CONNECTION_STRING_SQLITE: join(dir, 'keys.db') }, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
}

async function boot(env: Record<string, string>, opts: TestServerOptions, cleanup: () => Promise<void>, logs: string[]): Promise<TestServer> {
  const config = parseConfig({
    PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ADMIN_PASSWORD: 'test-admin-password',
    EVENT_FLUSH_MS: '20', HEALTH_CHECK_INTERVAL_SECONDS: '3600',
    ...env,
  });
  const sink = new Writable({ write(chunk, _enc, done) { logs.push(chunk.toString()); done(); } });
  const log = createLogger(config, sink);
  const rt = await createRuntime(config, log, opts);
  const app = await buildApp(rt, { logger: log });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as { port: number }).port;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    // As main.ts does: idle keep-alive sockets (an aborted client can leave one) must not hold close().
    const drain = drainConnections(app.server, config.shutdownGraceSeconds * 1000 + 1000, () => undefined);
    await app.close();
    drain.done();
    await closeRuntime(rt);
  };
  return {
    url: `http://127.0.0.1:${port}`, port, app, rt, config, logs,
    stop,
    restart: async (more = {}) => { await stop(); return boot({ ...env, ...more }, opts, cleanup, logs); },
    close: async () => { await stop(); await cleanup(); },
  };
}
