// The request log's SQL on SQLite and on MySQL (MariaDB here): batched inserts keep every row with the
// keys it tried, pages and counts honour each filter, the export walks every row once, buckets add
// up, and pruning removes old requests together with their keys.

import type { Knex } from 'knex';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { holdTransaction } from '../helpers/open-transaction';
import { openDatabase, type Database } from '../../src/store/database';
import { RequestLogStore, type RequestFilter } from '../../src/store/request-log-store';
import type { RequestSummary } from '../../src/request-log/entry';
import { latencyBin } from '../../src/request-log/latency-bins';
import { freshMysqlDatabase, MYSQL, mysqlAvailable } from '../helpers/mysql';

const T0 = Date.UTC(2026, 11, 1, 10, 0, 0);
const NO_MYSQL = { host: '', port: 0, database: '', user: '', password: '' };

function summary(i: number): RequestSummary {
  const ok = i % 4 !== 0;
  const tried = ok ? [{ id: `k${i % 3}`, outcome: 'ok' as const }] : [{ id: 'k0', outcome: 'transient' as const }, { id: 'k9', outcome: 'rate_limit' as const }];
  return {
    at: T0 + i * 1000, route: '/v1/chat/completions', model: i % 2 ? 'a/one' : 'b/two', stream: i % 5 === 0,
    status: ok ? 200 : 502, outcome: ok ? 'ok' : 'rate_limit', attempts: tried.length, key_id: tried.at(-1)!.id, keys_tried: tried,
    latency_ms: 10 + i, ttfb_ms: 5, input_tokens: 10, output_tokens: ok ? 3 : 0, cost: ok ? 0.001 : null, client: '10.0.0.1',
  };
}

for (const dialect of ['sqlite', 'mysql'] as const) {
  const t = suite<{ db: Database; store: RequestLogStore; cleanup: () => Promise<void> }>(`request log store (${dialect})`);
  let skip = false;
  t.before(async (ctx) => {
    if (dialect === 'mysql') {
      if (!(await mysqlAvailable())) { skip = true; return; }
      const fresh = await freshMysqlDatabase();
      ctx.db = await openDatabase({ dbType: 'mysql', sqlitePath: '', mysql: { ...MYSQL, database: fresh.database } });
      ctx.cleanup = async () => { await ctx.db.knex.destroy(); await fresh.drop(); };
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'orp-rl-'));
      ctx.db = await openDatabase({ dbType: 'sqlite', sqlitePath: join(dir, 'k.db'), mysql: NO_MYSQL });
      ctx.cleanup = async () => { await ctx.db.knex.destroy(); rmSync(dir, { recursive: true, force: true }); };
    }
    ctx.store = new RequestLogStore(ctx.db);
    // 450 rows: more than one INSERT chunk, so the ids of later chunks are checked too.
    await ctx.store.insert(Array.from({ length: 450 }, (_, i) => summary(i)));
  });
  t.after(async (ctx) => { if (!skip) { await ctx.store.close(); await ctx.cleanup(); } });

  t('every row is stored with the keys it tried, newest first', async ({ store }) => {
    if (skip) return;
    assert.is(await store.count({}), 450);
    const page = await store.page({}, 10, 0);
    assert.equal(page.map((r) => r.at), Array.from({ length: 10 }, (_, i) => T0 + (449 - i) * 1000));
    assert.equal(page[0].keys_tried, summary(449).keys_tried);
    const failed = (await store.page({ status: 'error' }, 100, 0))[0];
    assert.equal(failed.keys_tried, [{ id: 'k0', outcome: 'transient' }, { id: 'k9', outcome: 'rate_limit' }]);
    assert.is(failed.cost, null);
    assert.is(failed.stream, ((failed.at - T0) / 1000) % 5 === 0);
  });

  t('filters: key (any key tried), model, status, outcome, time', async ({ store }) => {
    if (skip) return;
    assert.is(await store.count({ keyId: 'k9' }), 113); // every 4th of 450
    assert.ok((await store.page({ keyId: 'k9' }, 200, 0)).every((r) => r.keys_tried.some((k) => k.id === 'k9')));
    assert.is(await store.count({ keyId: 'k0', status: 'ok' }), 112); // i % 3 == 0 and i % 4 != 0
    assert.is((await store.page({ keyId: 'k0', status: 'ok' }, 500, 0)).length, 112);
    assert.is(await store.count({ model: 'a/one' }), 225);
    assert.is(await store.count({ status: 502 }), 113);
    assert.is(await store.count({ status: 'ok' }), 337);
    assert.is(await store.count({ outcome: 'rate_limit', model: 'b/two' }), 113);
    assert.is(await store.count({ since: T0 + 100_000, until: T0 + 200_000 }), 100);
    assert.is(await store.count({ keyId: 'k9', since: T0 + 100_000, until: T0 + 200_000 }), 25);
    const second = await store.page({ model: 'a/one' }, 5, 5);
    assert.equal(second.map((r) => r.at), [439, 437, 435, 433, 431].map((i) => T0 + i * 1000));
  });

  t('on SQLite every filter reads its page in order from its own index: no table scan, no sort', async ({ db }) => {
    if (skip || dialect !== 'sqlite') return;
    // Without a file the store reads through knex in this thread, where its SQL can be listened to.
    const store = new RequestLogStore({ ...db, sqliteFile: null });
    const cases: [RequestFilter, string][] = [
      [{}, 'request_log_at'], [{ since: T0, until: T0 + 10_000 }, 'request_log_at'],
      [{ status: 'ok' }, 'request_log_outcome_at'], [{ status: 'error' }, 'request_log_failed_at'],
      [{ status: 502 }, 'request_log_status_at'], [{ outcome: 'rate_limit' }, 'request_log_outcome_at'],
      [{ model: 'a/one' }, 'request_log_model_at'], [{ model: 'a/one', status: 'error' }, 'request_log_model_failed_at'],
      [{ model: 'a/one', status: 'ok' }, 'request_log_model_outcome_at'], [{ model: 'a/one', outcome: 'ok' }, 'request_log_model_outcome_at'],
      [{ model: 'b/two', status: 502 }, 'request_log_model_status_at'], [{ outcome: 'rate_limit', status: 502 }, 'request_log_outcome_status_at'],
    ];
    for (const [f, index] of cases) {
      const sql: { sql: string; bindings: readonly Knex.Value[] }[] = [];
      const listen = (q: { sql: string; bindings?: readonly Knex.Value[] }) => sql.push({ sql: q.sql, bindings: q.bindings ?? [] });
      db.knex.on('query', listen);
      await store.page(f, 50, 0);
      db.knex.off('query', listen);
      const plan = (await db.knex.raw(`EXPLAIN QUERY PLAN ${sql[0].sql}`, sql[0].bindings)) as { detail: string }[];
      const text = plan.map((p) => p.detail).join('; ');
      assert.ok(text.includes(`USING INDEX ${index} `) || text.endsWith(`USING INDEX ${index}`), `${JSON.stringify(f)} reads ${index}: ${text}`);
      assert.not.ok(/TEMP B-TREE/.test(text), `${JSON.stringify(f)} needs no sort: ${text}`);
    }
  });

  t('the export walks every matching row once, in page order', async ({ store }) => {
    if (skip) return;
    const seen: number[] = [];
    for await (const chunk of store.stream({ model: 'b/two' }, 37)) seen.push(...chunk.map((r) => r.id));
    assert.is(seen.length, 225);
    assert.is(new Set(seen).size, 225);
    assert.equal(seen, (await store.page({ model: 'b/two' }, 500, 0)).map((r) => r.id));
  });

  t('buckets and latency histogram add up', async ({ store }) => {
    if (skip) return;
    const rows = await store.buckets(T0, 60_000);
    assert.is(rows.reduce((a, r) => a + r.requests, 0), 450);
    assert.ok(Math.abs(rows.reduce((a, r) => a + r.cost, 0) - 0.337) < 1e-9);
    const hist = await store.latencyHistogram(T0, 60_000);
    assert.is(hist.reduce((a, h) => a + h.n, 0), 450);
    assert.is(hist.filter((h) => h.bin === latencyBin(10)).reduce((a, h) => a + h.n, 0), 15); // latency 10..24
    assert.equal((await store.buckets(T0, 3_600_000)).map((r) => r.t), [T0, T0]); // two outcomes, one hour
    const perKey = await store.keyOutcomes(T0);
    assert.is(perKey.find((r) => r.key_id === 'k9')?.n, 113);
  });

  t('per-key attempts by outcome and hourly trends add up to the keys the rows tried', async ({ store }) => {
    if (skip) return;
    const tried = Array.from({ length: 450 }, (_, i) => summary(i).keys_tried).flat();
    const expected = new Map<string, number>();
    for (const k of tried) expected.set(`${k.id} ${k.outcome}`, (expected.get(`${k.id} ${k.outcome}`) ?? 0) + 1);
    const got = new Map((await store.keyOutcomes(T0)).map((r) => [`${r.key_id} ${r.outcome}`, r.n]));
    assert.equal(got, expected);
    // From the minute `since` falls in: T0 + 200.5 s counts the attempts from T0 + 180 s on.
    const late = await store.keyOutcomes(T0 + 200_500);
    assert.is(late.reduce((a, r) => a + r.n, 0), tried.length - Array.from({ length: 180 }, (_, i) => summary(i).keys_tried.length).reduce((a, b) => a + b, 0));
    const trends = await store.keyTrends(['k0', 'k9', 'nobody'], T0, 3_600_000);
    assert.equal(trends.map((r) => [r.key_id, r.t, r.n]).sort(), [['k0', T0, expected.get('k0 ok')! + expected.get('k0 transient')!], ['k9', T0, 113]]);
    const minutes = await store.keyTrends(['k9'], T0, 60_000);
    assert.is(minutes.length, 8); // 450 s of rows span minutes 0..7
    assert.is(minutes.reduce((a, r) => a + r.n, 0), 113);
  });

  t('a key tried twice in one request counts once, as in request_keys; pruning takes its minute', async ({ store }) => {
    if (skip) return;
    const at = T0 - 3_600_000; // before every other row of the suite, so pruning at T0 takes it alone
    const twice: RequestSummary = { ...summary(1), at, keys_tried: [{ id: 'kx', outcome: 'transient' }, { id: 'kx', outcome: 'ok' }], attempts: 2, key_id: 'kx' };
    await store.insert([twice]);
    assert.equal((await store.keyOutcomes(at)).filter((r) => r.key_id === 'kx'), [{ key_id: 'kx', outcome: 'transient', n: 1 }]);
    assert.is(await store.count({ keyId: 'kx' }), 1);
    assert.is(await store.prune(T0), 1);
    assert.equal((await store.keyOutcomes(0)).filter((r) => r.key_id === 'kx'), []);
    assert.is(await store.count({}), 450);
  });

  t('pruning removes old requests and their keys', async ({ store }) => {
    if (skip) return;
    assert.is(await store.prune(T0 + 100_000, 30), 100);
    assert.is(await store.count({}), 350);
    assert.is(await store.count({ keyId: 'k9', until: T0 + 100_000 }), 0);
    assert.is(await store.count({ keyId: 'k9' }), 88);
    assert.is((await store.buckets(0, 60_000)).reduce((a, r) => a + r.requests, 0), 390); // only whole minutes before the cut go
    assert.is((await store.latencyHistogram(0, 60_000)).reduce((a, r) => a + r.n, 0), 390);
    // Per-key minutes go by whole minutes too: the minute of T0 + 60..119 s stays, k9's 15 attempts before it go.
    assert.is((await store.keyOutcomes(0)).filter((r) => r.key_id === 'k9').reduce((a, r) => a + r.n, 0), 113 - 15);
  });

  t('a later batch adds to the same minutes; a failing batch stores nothing; a batch waits for an open transaction', async ({ store, db }) => {
    if (skip) return;
    const rows = await store.count({});
    const before = (await store.buckets(T0, 60_000)).reduce((a, r) => a + r.requests, 0);
    await store.insert([summary(1), summary(2)]); // minute T0 again: the rollup upsert adds
    assert.is((await store.buckets(T0, 60_000)).reduce((a, r) => a + r.requests, 0), before + 2);
    const bad = { ...summary(3), route: null as unknown as string }; // NOT NULL: the whole batch must roll back
    let failed = false;
    try { await store.insert([summary(5), bad]); } catch { failed = true; }
    assert.ok(failed, 'a batch with a bad row is refused');
    assert.is(await store.count({}), rows + 2);
    assert.is((await store.buckets(T0, 60_000)).reduce((a, r) => a + r.requests, 0), before + 2);
    const { release, done: trx } = await holdTransaction(db.knex);
    let done = false;
    const written = store.insert([summary(6)]).then(() => { done = true; });
    try {
      if (dialect === 'sqlite') {
        // A SQLite file: the writer thread has its own connection, and WAL lets it commit while this
        // read transaction is open (on the one connection, the batch would wait: request-log-thread.test.ts).
        assert.ok(store.offThread);
        await Promise.race([written, new Promise((r) => setTimeout(r, 5000))]);
        assert.ok(done, 'the writer thread does not wait for the main connection\'s transaction');
      }
    } finally {
      release();
    }
    await Promise.all([trx, written]);
    assert.is(await store.count({}), rows + 3);
  });

  t.run();
}
