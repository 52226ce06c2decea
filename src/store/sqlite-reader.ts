// The main thread's side of the request log's SQLite reader thread (sqlite-read-thread.ts): a knex
// query, compiled here, runs there and its rows come back. If the thread cannot start or dies, `all`
// rejects and `broken` says so; the store then reads through knex as before.

import type { Knex } from 'knex';
import type { ReadMessage, ReadReply } from './sqlite-read-thread';
import { WorkerLink } from './worker-link';

export class SqliteReader {
  private readonly link: WorkerLink<ReadMessage, ReadReply>;

  constructor(file: string) {
    this.link = new WorkerLink('sqlite-read-thread', 'reader', { file });
  }

  get broken(): Error | null { return this.link.broken; }

  /** The rows of a select, as knex would give them. */
  async all<T>(q: Knex.QueryBuilder | Knex.Raw): Promise<T[]> {
    const { sql, bindings } = q.toSQL().toNative();
    const r = await this.link.call((id) => ({ id, sql, bindings: bindings.map(sqliteValue) }));
    return ('rows' in r ? r.rows : []) as T[];
  }

  close(): Promise<void> { return this.link.close(); }
}

/** What knex's SQLite client binds for a value better-sqlite3 would refuse (booleans, dates). */
function sqliteValue(v: unknown): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof Date) return v.valueOf();
  return v;
}
