// MariaDB/MySQL for the store and replica suites: a fresh database per use, dropped afterwards.
// In CI (CI=true) MySQL must be there; elsewhere the suites are skipped with a printed notice.

import knexFactory from 'knex';
import { randomBytes } from 'node:crypto';

export const MYSQL = {
  host: process.env.TEST_MYSQL_HOST ?? '127.0.0.1',
  port: Number(process.env.TEST_MYSQL_PORT ?? 3306),
  user: process.env.TEST_MYSQL_USER ?? 'root',
  password: process.env.TEST_MYSQL_PASSWORD ?? '',
};

let available: Promise<boolean> | null = null;

/** Whether MySQL answers. In CI a missing MySQL is an error, not a skip. */
export function mysqlAvailable(): Promise<boolean> {
  available ??= (async () => {
    const k = knexFactory({ client: 'mysql2', connection: { ...MYSQL, connectTimeout: 2000 }, pool: { min: 0, max: 1 } });
    try { await k.raw('select 1'); return true; } catch (err) {
      if (process.env.CI === 'true') throw new Error(`CI needs MySQL at ${MYSQL.host}:${MYSQL.port}: ${(err as Error).message}`);
      console.log(`\n  NOTICE: MySQL is not reachable at ${MYSQL.host}:${MYSQL.port}; the MySQL suites are skipped.\n`);
      return false;
    } finally { await k.destroy(); }
  })();
  return available;
}

/** Creates an empty database and returns its name and a function that drops it. */
export async function freshMysqlDatabase(): Promise<{ database: string; drop: () => Promise<void> }> {
  const database = `orp_test_${randomBytes(4).toString('hex')}`;
  const k = knexFactory({ client: 'mysql2', connection: MYSQL, pool: { min: 0, max: 1 } });
  await k.raw(`create database \`${database}\` character set utf8mb4`);
  await k.destroy();
  return {
    database,
    drop: async () => {
      const d = knexFactory({ client: 'mysql2', connection: MYSQL, pool: { min: 0, max: 1 } });
      try { await d.raw(`drop database if exists \`${database}\``); } finally { await d.destroy(); }
    },
  };
}
