// The one better-sqlite3 connection knex holds for a SQLite database, for the hot writes that use
// statements prepared once instead of building SQL through knex each time (the request log's batches,
// the event log's appends). Waits for the connection as any knex query would, so a knex transaction
// in progress is never interleaved with.

import type { Database as Sqlite } from 'better-sqlite3';
import type { Knex } from 'knex';

type Pool = { acquireConnection(): Promise<Sqlite>; releaseConnection(c: Sqlite): Promise<unknown> };

/** Runs `use` on the connection, with what `prepare` made for that connection (once per connection). */
export async function onSqliteConnection<P, R>(knex: Knex, cache: WeakMap<Sqlite, P>, prepare: (c: Sqlite) => P, use: (p: P) => R): Promise<R> {
  const pool = knex.client as Pool;
  const conn = await pool.acquireConnection();
  try {
    let p = cache.get(conn);
    if (p === undefined) cache.set(conn, (p = prepare(conn)));
    return use(p);
  } finally {
    await pool.releaseConnection(conn);
  }
}
