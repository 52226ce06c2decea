// The request log's SQLite writer thread: its own connection to the database file, the same prepared
// statements as the in-thread path, one transaction per batch (and per chunk of pruning). Writing a batch of 500 rows blocks for
// milliseconds; here it blocks this thread, not the event loop that serves the proxy (BENCHMARKS.md
// run I). Batches come encoded (request-batch-codec.ts): one buffer handed over, the strings once.

import Sqlite from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { decodeBatch, type EncodedBatch } from './request-batch-codec';
import { BUSY_TIMEOUT_MS } from './sqlite-connection';
import { preparePrune, prepareRequestBatch } from './sqlite-request-batch';

/** A batch to write, or one chunk of pruning (the request log's retention). */
export type BatchMessage = { id: number; batch: EncodedBatch } | { id: number; prune: { before: number; chunk: number } };
export type BatchReply = { id: number; pruned?: number } | { id: number; error: string; code?: string };

const conn = new Sqlite((workerData as { file: string }).file);
conn.pragma('synchronous = NORMAL'); // the file is in WAL mode already (the main connection set it)
conn.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`); // waiting here blocks only this thread
const write = prepareRequestBatch(conn);
const prune = preparePrune(conn);

parentPort!.on('message', (m: BatchMessage) => {
  let reply: BatchReply;
  try {
    if ('prune' in m) reply = { id: m.id, pruned: prune(m.prune.before, m.prune.chunk) };
    else {
      write(decodeBatch(m.batch));
      reply = { id: m.id };
    }
  } catch (err) {
    reply = { id: m.id, error: (err as Error).message, code: (err as { code?: string }).code };
  }
  parentPort!.postMessage(reply);
});
parentPort!.postMessage({ id: 0 }); // open and prepared: ready
