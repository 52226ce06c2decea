// An opened store Database on a fresh, empty MySQL database, for suites that drive the store directly.

import { openDatabase, type Database } from '../../src/store/database';
import { freshMysqlDatabase, MYSQL } from './mysql';

/** Opens a fresh database; `drop` removes it (destroy `db.knex` first). */
export async function openFreshMysqlDatabase(): Promise<{ db: Database; drop: () => Promise<void> }> {
  const fresh = await freshMysqlDatabase();
  const db = await openDatabase({ dbType: 'mysql', sqlitePath: '', mysql: { ...MYSQL, database: fresh.database } });
  return { db, drop: fresh.drop };
}
