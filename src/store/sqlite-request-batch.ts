// On SQLite a request-log batch is written through statements prepared once, on the connection knex
// holds, in one synchronous transaction. Building and preparing a 200-row INSERT through knex for
// every batch cost about a quarter of the proxy's CPU per request (BENCHMARKS.md, run E's profile).

import type { Database as Sqlite, Statement } from 'better-sqlite3';
import type { Knex } from 'knex';
import type { RequestSummary } from '../request-log/entry';
import { onSqliteConnection } from './sqlite-connection';
import {
  addingUpsert, KEY_MINUTE_COLUMNS, KEY_MINUTE_KEYS, LATENCY_COLUMNS, LATENCY_KEYS, MINUTE_COLUMNS, MINUTE_KEYS, requestRow, rollups,
  triedRows, type TriedRow,
} from './request-log-rows';

type WriteBatch = (batch: readonly RequestSummary[]) => void;

const prepared = new WeakMap<Sqlite, WriteBatch>();

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
  const minute = conn.prepare(addingUpsert('sqlite', 'request_minutes', MINUTE_COLUMNS, MINUTE_KEYS, 1));
  const latency = conn.prepare(addingUpsert('sqlite', 'request_minute_latency', LATENCY_COLUMNS, LATENCY_KEYS, 1));
  const keyMinute = conn.prepare(addingUpsert('sqlite', 'request_key_minutes', KEY_MINUTE_COLUMNS, KEY_MINUTE_KEYS, 1));
  const write = conn.transaction((batch: readonly RequestSummary[]) => {
    const keys: TriedRow[] = [];
    for (const r of batch) triedRows(r, Number(insertRequest(request, r).lastInsertRowid), keys);
    for (const t of keys) tried.run(t.request_id, t.key_id, t.at, t.outcome);
    const { minutes, bins, keys: perKey } = rollups(batch);
    for (const m of minutes) minute.run(m);
    for (const b of bins) latency.run(b);
    for (const k of perKey) keyMinute.run(k);
  });
  return (batch) => write.immediate(batch);
}

/** requestRow bound by position: binding sixteen named parameters cost ~1.5 µs a row more. */
function insertRequest(stmt: Statement, r: RequestSummary) {
  const row = requestRow(r);
  return stmt.run(row.at, row.route, row.model, row.stream, row.status, row.ok, row.outcome, row.attempts, row.key_id,
    row.keys_tried, row.latency_ms, row.ttfb_ms, row.input_tokens, row.output_tokens, row.cost, row.client);
}
