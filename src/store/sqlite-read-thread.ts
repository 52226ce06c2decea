// The request log's SQLite reader thread: a read-only connection of its own for the admin's pages,
// counts, exports, charts and key figures. Counting a million rows takes tens of milliseconds and
// better-sqlite3 runs it in the thread that asks; here that is not the event loop. WAL mode lets it
// read while the writer thread commits.

import Sqlite, { type Statement } from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { BUSY_TIMEOUT_MS } from './sqlite-connection';

export interface ReadMessage { id: number; sql: string; bindings: unknown[] }
export type ReadReply = { id: number; rows: unknown[] } | { id: number; error: string; code?: string };

const conn = new Sqlite((workerData as { file: string }).file, { readonly: true });
conn.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
const statements = new Map<string, Statement>(); // the store's queries are few shapes with many values

parentPort!.on('message', (m: ReadMessage) => {
  let reply: ReadReply;
  try {
    let st = statements.get(m.sql);
    if (!st) {
      if (statements.size >= 200) statements.clear();
      statements.set(m.sql, (st = conn.prepare(m.sql)));
    }
    reply = { id: m.id, rows: st.all(...m.bindings) };
  } catch (err) {
    reply = { id: m.id, error: (err as Error).message, code: (err as { code?: string }).code };
  }
  parentPort!.postMessage(reply);
});
parentPort!.postMessage({ id: 0 }); // open: ready
