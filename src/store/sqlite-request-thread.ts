// The request log's SQLite writer thread: its own connection to the database file, the same prepared
// statements as the in-thread path, one transaction per batch. Writing a batch of 500 rows blocks for
// milliseconds; here it blocks this thread, not the event loop that serves the proxy (BENCHMARKS.md
// run I). Batches come as JSON text (one string to copy, not 500 objects to clone).

import Sqlite from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import type { RequestSummary } from '../request-log/entry';
import { prepareRequestBatch } from './sqlite-request-batch';

export interface BatchMessage { id: number; rows: string }
export type BatchReply = { id: number } | { id: number; error: string };

const conn = new Sqlite((workerData as { file: string }).file);
conn.pragma('synchronous = NORMAL'); // the file is in WAL mode already (the main connection set it)
conn.pragma('busy_timeout = 5000');
const write = prepareRequestBatch(conn);

parentPort!.on('message', (m: BatchMessage) => {
  let reply: BatchReply;
  try {
    write(JSON.parse(m.rows) as RequestSummary[]);
    reply = { id: m.id };
  } catch (err) {
    reply = { id: m.id, error: (err as Error).message };
  }
  parentPort!.postMessage(reply);
});
parentPort!.postMessage({ id: 0 }); // open and prepared: ready
