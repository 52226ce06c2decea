// Opens the database (SQLite by default, MySQL for production and replicas) and applies migrations.

import knexFactory, { type Knex } from 'knex';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { migrationSource } from '../../migrations';
import type { Config } from '../config';
import { BUSY_TIMEOUT_MS } from './sqlite-connection';

export type DbType = 'sqlite' | 'mysql';
export interface Database {
  knex: Knex; type: DbType; describe: string;
  /** SQLite: the file (absolute), or null for `:memory:`; the request log writes it from its own thread. */
  sqliteFile?: string | null;
}

export async function openDatabase(config: Pick<Config, 'dbType' | 'sqlitePath' | 'mysql'>): Promise<Database> {
  const db = config.dbType === 'mysql' ? openMysql(config.mysql) : openSqlite(config.sqlitePath);
  try {
    const migrate = () => db.knex.migrate.latest({ migrationSource, tableName: 'knex_migrations' });
    // Replicas starting together on a fresh MySQL database would race on knex's own lock table.
    await (db.type === 'mysql' ? withNamedLock(db.knex, 'openrouter_polling_migrations', migrate) : migrate());
  } catch (err) {
    await db.knex.destroy();
    throw new Error(`cannot open the ${db.describe} database: ${(err as Error).message}`);
  }
  return db;
}

function openSqlite(path: string): Database {
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: { filename: path },
    useNullAsDefault: true,
    pool: {
      min: 1, max: 1, // one connection: SQLite serialises writers anyway, and :memory: needs one
      afterCreate: (conn: { pragma(s: string): unknown }, done: (err: Error | null, c: unknown) => void) => {
        try {
          conn.pragma('journal_mode = WAL');
          conn.pragma('synchronous = NORMAL');
          conn.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
          conn.pragma('foreign_keys = ON');
          done(null, conn);
        } catch (err) { done(err as Error, conn); }
      },
    },
  });
  return { knex, type: 'sqlite', describe: `SQLite (${path})`, sqliteFile: path === ':memory:' ? null : resolve(path) };
}

function openMysql(m: Config['mysql']): Database {
  const knex = knexFactory({
    client: 'mysql2',
    connection: {
      host: m.host, port: m.port, user: m.user, password: m.password, database: m.database,
      supportBigNumbers: true, bigNumberStrings: false, charset: 'utf8mb4',
    },
    pool: { min: 0, max: 10 },
  });
  return { knex, type: 'mysql', describe: `MySQL (${m.user}@${m.host}:${m.port}/${m.database})` };
}

type RawConnection = { query(sql: string, values: unknown[], cb: (err: Error | null, rows: unknown) => void): void };

/** Runs `task` while this process holds a MySQL named lock (GET_LOCK), so only one process runs it at a time. */
async function withNamedLock<T>(knex: Knex, name: string, task: () => Promise<T>): Promise<T> {
  const client = knex.client as { acquireConnection(): Promise<RawConnection>; releaseConnection(c: RawConnection): Promise<void> };
  const conn = await client.acquireConnection();
  const query = (sql: string) => new Promise<unknown>((done, fail) => conn.query(sql, [name], (err, rows) => (err ? fail(err) : done(rows))));
  try {
    const rows = (await query('SELECT GET_LOCK(?, 120) AS got')) as { got: number | null }[];
    if (rows[0]?.got !== 1) throw new Error(`another process held the ${name} lock for two minutes`);
    try { return await task(); } finally { await query('SELECT RELEASE_LOCK(?)').catch(() => undefined); }
  } finally {
    await client.releaseConnection(conn);
  }
}

/** Cheap liveness query for /readyz. */
export async function ping(db: Database): Promise<boolean> {
  try { await db.knex.raw('select 1'); return true; } catch { return false; }
}

/** Closes the connections (the pool, or the SQLite file). */
export async function closeDatabase(db: Database): Promise<void> {
  await db.knex.destroy();
}
