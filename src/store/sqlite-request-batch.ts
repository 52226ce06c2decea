// On SQLite a request-log batch is written through statements prepared once, on the connection knex
// holds, in one synchronous transaction. Building and preparing a 200-row INSERT through knex for
// every batch cost about a quarter of the proxy's CPU per request (BENCHMARKS.md, run E's profile).

import type { Database as Sqlite, Statement } from 'better-sqlite3';
import type { Knex } from 'knex';
import type { RequestSummary } from '../request-log/entry';
import { onSqliteConnection } from './sqlite-connection';
import {
  addingUpsert, minuteOf, requestRow, ROLLUPS, rollupRows, triedRows, type TriedRow,
} from './request-log-rows';

type WriteBatch = (batch: readonly RequestSummary[]) => void;
/** Deletes at most `chunk` of the oldest requests before `before`, with their keys; says how many. */
export type PruneChunk = (before: number, chunk: number) => number;

const prepared = new WeakMap<Sqlite, WriteBatch>();
const pruners = new WeakMap<Sqlite, PruneChunk>();

/** Writes the batch in one transaction, on the connection knex holds (a lost writer thread, `:memory:`). */
export function insertSqliteBatch(knex: Knex, batch: readonly RequestSummary[]): Promise<void> {
  return onSqliteConnection(knex, prepared, prepareRequestBatch, (write) => write(batch));
}

/** The batch writer for `conn`: one transaction per batch, BEGIN IMMEDIATE (the write lock first). */
export function prepareRequestBatch(conn: Sqlite): WriteBatch {
  const request = conn.prepare(
    'INSERT INTO request_log (at, route, model, stream, status, ok, outcome, attempts, key_id, keys_tried, latency_ms, ' +
    'ttfb_ms, input_tokens, output_tokens, cost, client) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const tried = conn.prepare('INSERT INTO request_keys (request_id, key_id, at, outcome) VALUES (?, ?, ?, ?)');
  const upserts = ROLLUPS.map((r) => conn.prepare(addingUpsert('sqlite', r.table, r.columns, r.keys, 1)));
  const write = conn.transaction((batch: readonly RequestSummary[]) => {
    const keys: TriedRow[] = [];
    for (const r of batch) triedRows(r, Number(insertRequest(request, r).lastInsertRowid), keys);
    for (const t of keys) tried.run(t.request_id, t.key_id, t.at, t.outcome);
    rollupRows(batch).forEach((rows, i) => { for (const row of rows) upserts[i].run(row); });
  });
  return (batch) => write.immediate(batch);
}

/**
 * One chunk of pruning in one transaction, on `knex`'s connection (a lost writer thread, `:memory:`).
 * The caller lets the event loop turn between chunks: each is synchronous work on this thread.
 */
export function pruneSqliteChunk(knex: Knex, before: number, chunk: number): Promise<number> {
  return onSqliteConnection(knex, pruners, preparePrune, (prune) => prune(before, chunk));
}

/**
 * The pruner for `conn`: the oldest `chunk` requests before `before` (read from the time index, so the
 * two deletes pick the same rows inside the one transaction), their keys, and, once no request is
 * left to go, every rollup minute before the one `before` falls in.
 */
export function preparePrune(conn: Sqlite): PruneChunk {
  const oldest = 'SELECT id FROM request_log WHERE at < ? ORDER BY at, id LIMIT ?';
  const keys = conn.prepare(`DELETE FROM request_keys WHERE request_id IN (${oldest})`);
  const requests = conn.prepare(`DELETE FROM request_log WHERE id IN (${oldest})`);
  const rollups = ROLLUPS.map((r) => conn.prepare(`DELETE FROM ${r.table} WHERE minute < ?`));
  const prune = conn.transaction((before: number, chunk: number): number => {
    keys.run(before, chunk);
    const n = requests.run(before, chunk).changes;
    if (n < chunk) for (const r of rollups) r.run(minuteOf(before));
    return n;
  });
  return (before, chunk) => prune.immediate(before, chunk);
}

/** requestRow bound by position: binding sixteen named parameters cost ~1.5 µs a row more. */
function insertRequest(stmt: Statement, r: RequestSummary) {
  const row = requestRow(r);
  return stmt.run(row.at, row.route, row.model, row.stream, row.status, row.ok, row.outcome, row.attempts, row.key_id,
    row.keys_tried, row.latency_ms, row.ttfb_ms, row.input_tokens, row.output_tokens, row.cost, row.client);
}
