// Several replicas write one request log at once (MySQL; on SQLite several connections to one file):
// their batches add to the same minute, outcome and key rollups, each in its own first-seen order.
// Every batch must be stored: a deadlock between two of them used to drop one (the writer does not
// retry a refused batch), about one batch in six under this load.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '../../src/store/database';
import { RequestLogStore } from '../../src/store/request-log-store';
import type { RequestOutcome, RequestSummary } from '../../src/request-log/entry';
import { freshMysqlDatabase, MYSQL, mysqlAvailable } from '../helpers/mysql';

const T0 = Date.UTC(2026, 11, 1, 10, 0, 0);
const NO_MYSQL = { host: '', port: 0, database: '', user: '', password: '' };
const OUTCOMES: RequestOutcome[] = ['ok', 'transient', 'rate_limit', 'caller', 'credential'];
const KEYS = Array.from({ length: 40 }, (_, i) => `key${i}`);
const WRITERS = 4;
const ROUNDS = 30;
const ROWS = 200;

/** Row i of writer w: each writer meets the outcomes and keys in its own order, within one minute. */
function row(w: number, i: number): RequestSummary {
  const keys = w % 2 ? [...KEYS].reverse() : KEYS.slice(w * 7).concat(KEYS.slice(0, w * 7));
  const key = keys[i % keys.length];
  const outcome = OUTCOMES[(i + w) % OUTCOMES.length];
  return {
    at: T0 + (i % 50) * 1000, route: '/v1/chat/completions', model: 'a/model', stream: false, status: outcome === 'ok' ? 200 : 502,
    outcome, attempts: 1, key_id: key, keys_tried: [{ id: key, outcome }], latency_ms: (i * 37) % 5000, ttfb_ms: 1,
    input_tokens: 2, output_tokens: 1, cost: 0.001, client: `10.0.0.${w}`,
  };
}

for (const dialect of ['mysql', 'sqlite'] as const) {
  const t = suite<{ dbs: Database[]; cleanup: () => Promise<void> }>(`request log written by ${WRITERS} replicas at once (${dialect})`);
  let skip = false;
  t.before(async (ctx) => {
    if (dialect === 'mysql') {
      if (!(await mysqlAvailable())) { skip = true; return; }
      const fresh = await freshMysqlDatabase();
      ctx.dbs = [];
      for (let i = 0; i < WRITERS; i++) ctx.dbs.push(await openDatabase({ dbType: 'mysql', sqlitePath: '', mysql: { ...MYSQL, database: fresh.database } }));
      ctx.cleanup = async () => { for (const d of ctx.dbs) await d.knex.destroy(); await fresh.drop(); };
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'orp-rl-replicas-'));
      ctx.dbs = [];
      for (let i = 0; i < WRITERS; i++) ctx.dbs.push(await openDatabase({ dbType: 'sqlite', sqlitePath: join(dir, 'k.db'), mysql: NO_MYSQL }));
      ctx.cleanup = async () => { for (const d of ctx.dbs) await d.knex.destroy(); rmSync(dir, { recursive: true, force: true }); };
    }
  });
  t.after(async (ctx) => { if (!skip) await ctx.cleanup(); });

  t('every batch is stored, and the rollups add up to the rows', async ({ dbs }) => {
    if (skip) return;
    const stores = dbs.map((d) => new RequestLogStore(d));
    try {
      const refused: string[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const results = await Promise.allSettled(stores.map((s, w) => s.insert(Array.from({ length: ROWS }, (_, i) => row(w, i)))));
        for (const x of results) if (x.status === 'rejected') refused.push((x.reason as Error).message.slice(0, 200));
      }
      assert.equal(refused, [], `${refused.length} of ${WRITERS * ROUNDS} batches refused`);
      const all = WRITERS * ROUNDS * ROWS;
      const store = stores[0];
      assert.is(await store.count({}), all);
      assert.is((await store.buckets(T0, 60_000)).reduce((a, b) => a + b.requests, 0), all);
      assert.is((await store.latencyHistogram(T0, 60_000)).reduce((a, b) => a + b.n, 0), all);
      assert.is((await store.keyOutcomes(T0)).reduce((a, b) => a + b.n, 0), all);
    } finally {
      for (const s of stores) await s.close();
    }
  });

  t.run();
}
