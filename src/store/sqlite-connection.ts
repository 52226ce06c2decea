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
    return await use(p); // awaited: the connection is ours until an asynchronous `use` is done
  } finally {
    await pool.releaseConnection(conn);
  }
}

export const BUSY_TIMEOUT_MS = 5000;

/**
 * Runs `write` (a transaction that takes the write lock first) without sleeping the event loop while
 * another connection holds the lock: SQLite's busy handler waits in the calling thread, and the
 * request log's writer thread holds the lock for a few milliseconds per batch, so an event append that
 * met one stalled every request in flight (up to 10 ms under load, BENCHMARKS.md §3). Busy, it tries
 * again a moment later, for as long as the busy timeout would have waited, then throws SQLITE_BUSY.
 */
export async function writeWhenFree<R>(conn: Sqlite, write: () => R, timeoutMs = BUSY_TIMEOUT_MS): Promise<R> {
  const until = performance.now() + timeoutMs;
  for (let wait = 1; ; wait = Math.min(wait * 2, 16)) {
    conn.pragma('busy_timeout = 0');
    try {
      return write();
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || performance.now() >= until) throw err;
    } finally {
      conn.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(wait, Math.max(0, until - performance.now()))));
  }
}
