// On a SQLite file the request log is written by its own thread and connection, off the event loop:
// the rows land as they would in-thread, the main connection keeps writing events meanwhile, a batch
// the database refuses is reported without losing the thread, and a lost thread falls back to the
// main thread without losing a batch. Pruning runs there too, or here in small chunks: either way
// the event loop keeps turning while a large prune deletes. Reads run on a reader thread of their own.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { holdTransaction } from '../helpers/open-transaction';
import { openDatabase, type Database } from '../../src/store/database';
import { EventStore } from '../../src/store/event-store';
import type { NewEvent } from '../../src/events/types';
import { RequestLogStore } from '../../src/store/request-log-store';
import { SqliteReader } from '../../src/store/sqlite-reader';
import type { RequestSummary } from '../../src/request-log/entry';

const NO_MYSQL = { host: '', port: 0, database: '', user: '', password: '' };
const T0 = Date.UTC(2026, 11, 3, 10, 0, 0);

function summary(i: number): RequestSummary {
  return {
    at: T0 + i, route: '/v1/chat/completions', model: 'a/one', stream: false, status: 200, outcome: 'ok', attempts: 1,
    key_id: `k${i % 2}`, keys_tried: [{ id: `k${i % 2}`, outcome: 'ok' }], latency_ms: 10, ttfb_ms: 5,
    input_tokens: 3, output_tokens: 2, cost: null, client: '127.0.0.1',
  };
}

async function fileDb(): Promise<{ db: Database; done: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'orp-rl-thread-'));
  const db = await openDatabase({ dbType: 'sqlite', sqlitePath: join(dir, 'k.db'), mysql: NO_MYSQL });
  return { db, done: async () => { await db.knex.destroy(); rmSync(dir, { recursive: true, force: true }); } };
}

const count = async (db: Database, table: string) => Number((await db.knex(table).count({ n: '*' }))[0].n);

test('a SQLite file: batches are written by the writer thread while the main connection appends events', async () => {
  const { db, done } = await fileDb();
  const store = new RequestLogStore(db);
  try {
    const events = new EventStore(db, 'test');
    const writes: Promise<unknown>[] = [];
    for (let b = 0; b < 8; b++) {
      writes.push(store.insert(Array.from({ length: 500 }, (_, i) => summary(b * 500 + i))));
      writes.push(events.append([{ type: 'KeyWeightChanged', at: T0 + b, key_id: 'k0', actor: 'admin', data: { weight: 2 + b, previous: 1 + b } } as NewEvent]));
    }
    await Promise.all(writes);
    assert.ok(store.offThread, 'the writer thread wrote them');
    assert.is(await count(db, 'request_log'), 4000);
    assert.is(await count(db, 'request_keys'), 4000);
    assert.is(await count(db, 'key_events'), 8, 'no event append was refused while the thread wrote');
    const page = await store.page({}, 3, 0);
    assert.equal(page.map((r) => r.at), [T0 + 3999, T0 + 3998, T0 + 3997], 'newest first, as the admin page reads them');
  } finally { await store.close(); await done(); }
});

test('a batch the database refuses is reported; the thread stays and writes the next one', async () => {
  const { db, done } = await fileDb();
  const store = new RequestLogStore(db);
  try {
    await store.insert([summary(1)]);
    const bad = { ...summary(2), route: null } as unknown as RequestSummary; // NOT NULL
    await store.insert([bad]).then(() => assert.unreachable('the NOT NULL column refuses it'), (err: Error) => assert.match(err.message, /NOT NULL/));
    assert.ok(store.offThread);
    await store.insert([summary(3)]);
    assert.is(await count(db, 'request_log'), 2);
  } finally { await store.close(); await done(); }
});

test('when the thread is gone, batches are written on the main thread and the loss is told once', async () => {
  const { db, done } = await fileDb();
  const lost: string[] = [];
  const store = new RequestLogStore(db, (err) => lost.push(err.message));
  try {
    await store.insert([summary(1)]);
    await (store as unknown as { thread: { link: { worker: { terminate(): Promise<number> } } } }).thread.link.worker.terminate();
    await store.insert([summary(2)]);
    await store.insert([summary(3)]);
    assert.not.ok(store.offThread);
    assert.is(await count(db, 'request_log'), 3, 'no batch lost');
    assert.is(lost.length, 1, lost.join('; '));
  } finally { await store.close(); await done(); }
});

test('a process that has nothing left but a batch on its way waits for it: no row is lost at exit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'orp-rl-exit-'));
  try {
    const file = join(dir, 'k.db');
    const code = `
      const { openDatabase } = require(${JSON.stringify(join(__dirname, '../../src/store/database'))});
      const { RequestLogStore } = require(${JSON.stringify(join(__dirname, '../../src/store/request-log-store'))});
      const row = (i) => ({ at: ${T0} + i, route: '/v1/chat/completions', model: 'a/one', stream: false, status: 200, outcome: 'ok', attempts: 1,
        key_id: 'k1', keys_tried: [{ id: 'k1', outcome: 'ok' }], latency_ms: 1, ttfb_ms: null, input_tokens: 0, output_tokens: 0, cost: null, client: '' });
      openDatabase({ dbType: 'sqlite', sqlitePath: ${JSON.stringify(file)}, mysql: { host: '', port: 0, database: '', user: '', password: '' } }).then(async (db) => {
        await db.knex.destroy(); // nothing of the main thread stays open: only the batch below
        void new RequestLogStore(db).insert(Array.from({ length: 500 }, (_, i) => row(i)));
      });`;
    const r = spawnSync(process.execPath, ['-r', 'tsx/cjs', '-e', code], { cwd: join(__dirname, '../..'), encoding: 'utf8', timeout: 30_000 });
    assert.is(r.status, 0, r.stderr);
    const db = await openDatabase({ dbType: 'sqlite', sqlitePath: file, mysql: NO_MYSQL });
    try { assert.is(await count(db, 'request_log'), 500); } finally { await db.knex.destroy(); }
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test(':memory: has one connection: its batches are written in this thread, after an open transaction', async () => {
  const db = await openDatabase({ dbType: 'sqlite', sqlitePath: ':memory:', mysql: NO_MYSQL });
  const store = new RequestLogStore(db);
  try {
    await store.insert([summary(1)]);
    assert.not.ok(store.offThread);
    assert.is(await count(db, 'request_log'), 1);
    const { release, done: trx } = await holdTransaction(db.knex);
    let done = false;
    const written = store.insert([summary(2)]).then(() => { done = true; });
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    const waited = !done;
    release();
    await Promise.all([trx, written]);
    assert.ok(waited, 'on the one connection the batch waits for the open transaction');
    assert.is(await count(db, 'request_log'), 2);
  } finally { await store.close(); await db.knex.destroy(); }
});

/** Counts event-loop turns (a 1 ms timer) until stopped. */
function turns(): () => number {
  let n = 0;
  const t = setInterval(() => { n++; }, 1);
  return () => { clearInterval(t); return n; };
}

for (const where of ['a SQLite file (the writer thread)', ':memory: (this thread, in small chunks)'] as const) {
  test(`pruning ${where} deletes every old request and its keys while the event loop keeps turning`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orp-rl-prune-'));
    const db = await openDatabase({ dbType: 'sqlite', sqlitePath: where.startsWith(':memory:') ? ':memory:' : join(dir, 'k.db'), mysql: NO_MYSQL });
    const store = new RequestLogStore(db);
    try {
      for (let b = 0; b < 12; b++) await store.insert(Array.from({ length: 5000 }, (_, i) => summary(b * 5000 + i)));
      const stop = turns();
      // A knex delete on the main connection ran the whole prune without one turn of the loop.
      const pruned = await store.prune(T0 + 40_000, 5000);
      const n = stop();
      assert.is(pruned, 40_000);
      assert.is(await count(db, 'request_log'), 20_000);
      assert.is(await count(db, 'request_keys'), 20_000);
      assert.ok(n >= 5, `the event loop turned ${n} times while 40,000 rows were pruned`);
    } finally { await store.close(); await db.knex.destroy(); rmSync(dir, { recursive: true, force: true }); }
  });
}

test('reads of a SQLite file run on the reader thread: a slow one leaves the event loop free; a lost reader falls back here', async () => {
  const { db, done } = await fileDb();
  const store = new RequestLogStore(db);
  const reader = new SqliteReader(db.sqliteFile!);
  try {
    const stop = turns();
    const slow = db.knex.raw('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) SELECT count(*) AS n FROM c', [2_000_000]);
    const [row] = await reader.all<{ n: number }>(slow);
    const n = stop();
    assert.is(row.n, 2_000_000);
    assert.ok(n >= 5, `the event loop turned ${n} times during a read of two million rows`);
    await reader.all(db.knex.raw('SELECT nope FROM request_log')).then(() => assert.unreachable('no such column'), (err: Error) => assert.match(err.message, /no such column/));

    await store.insert([summary(1), summary(2)]);
    assert.is(await store.count({}), 2);
    await (store as unknown as { reader: { link: { worker: { terminate(): Promise<number> } } } }).reader.link.worker.terminate();
    await store.insert([summary(3)]);
    assert.is(await store.count({}), 3, 'read through knex once the reader is gone');
    assert.equal((await store.page({}, 10, 0)).map((r) => r.at), [T0 + 3, T0 + 2, T0 + 1]);
  } finally { await reader.close(); await store.close(); await done(); }
});

test.run();
