// The request log's SQLite writer thread: its own connection to the database file, the same prepared
// statements as the in-thread path, one transaction per batch. Writing a batch of 500 rows blocks for
// milliseconds; here it blocks this thread, not the event loop that serves the proxy (BENCHMARKS.md
// run I). Batches come encoded (request-batch-codec.ts): one buffer handed over, the strings once.

import Sqlite from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { decodeBatch, type EncodedBatch } from './request-batch-codec';
import { BUSY_TIMEOUT_MS } from './sqlite-connection';
import { prepareRequestBatch } from './sqlite-request-batch';

export interface BatchMessage { id: number; batch: EncodedBatch }
export type BatchReply = { id: number } | { id: number; error: string };

const conn = new Sqlite((workerData as { file: string }).file);
conn.pragma('synchronous = NORMAL'); // the file is in WAL mode already (the main connection set it)
conn.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`); // waiting here blocks only this thread
const write = prepareRequestBatch(conn);

parentPort!.on('message', (m: BatchMessage) => {
  let reply: BatchReply;
  try {
    write(decodeBatch(m.batch));
    reply = { id: m.id };
  } catch (err) {
    reply = { id: m.id, error: (err as Error).message };
  }
  parentPort!.postMessage(reply);
});
parentPort!.postMessage({ id: 0 }); // open and prepared: ready
