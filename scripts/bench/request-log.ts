// Request-log benchmark (issue 10): fills a SQLite request log with N rows (1,000,000 by default)
// spread over the last 7 days, then times every page and filter of GET /admin/requests (a page plus
// its total, as the route answers), the first CSV chunk, the charts' aggregation and the per-key
// health query. Deterministic (seeded). Target: each page and filter under 50 ms.
// Usage: npx tsx scripts/bench/request-log.ts [--rows N] [--runs N] [--db FILE (kept, reused when full)]

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '../../src/domain/weighted-index';
import { RequestStats } from '../../src/request-log/stats';
import { openDatabase } from '../../src/store/database';
import { RequestLogStore, type RequestFilter } from '../../src/store/request-log-store';
import { key, MODELS, NOW, row } from './request-rows';
import { argNumber, argValue, load, machine, median, ms, table } from './stats';

const ROWS = argNumber('rows', 1_000_000);
const RUNS = argNumber('runs', 7);
async function main(): Promise<void> {
  const given = argValue('db');
  const dir = given ? null : mkdtempSync(join(tmpdir(), 'orp-bench-rl-'));
  const path = given ?? join(dir as string, 'bench.db');
  const reuse = given !== undefined && existsSync(given);
  const db = await openDatabase({ dbType: 'sqlite', sqlitePath: path, mysql: { host: '', port: 0, database: '', user: '', password: '' } });
  const store = new RequestLogStore(db);
  console.log(`# request log benchmark — ${new Date().toISOString()}\n${machine()}, load ${load()}\n`);
  try {
    if (!reuse || (await store.count({})) !== ROWS) {
      const rnd = seededRandom(10);
      const t0 = performance.now();
      for (let i = 0; i < ROWS; i += 5000) {
        await store.insert(Array.from({ length: Math.min(5000, ROWS - i) }, (_, j) => row(i + j, rnd, ROWS)));
      }
      const s = (performance.now() - t0) / 1000;
      console.log(`filled ${ROWS.toLocaleString('en')} rows in ${s.toFixed(1)} s (${Math.round(ROWS / s).toLocaleString('en')} rows/s through RequestLogStore.insert, batches of 5,000)\n`);
    }
    await db.knex.raw('ANALYZE');
    const hour = 3_600_000;
    const someKey = key(17);
    const cases: [string, RequestFilter, number][] = [
      ['no filter, page 1', {}, 0],
      ['no filter, page 200 (offset 10,000)', {}, 10_000],
      ['no filter, page 2,000 (offset 100,000)', {}, 100_000],
      ['key_id (one of 200 keys)', { keyId: someKey }, 0],
      ['key_id, page 50', { keyId: someKey }, 2450],
      ['model (most common)', { model: MODELS[0] }, 0],
      ['model (rarest)', { model: MODELS[9] }, 0],
      ['status=ok', { status: 'ok' }, 0],
      ['status=error', { status: 'error' }, 0],
      ['status=429', { status: 429 }, 0],
      ['outcome=no_key', { outcome: 'no_key' }, 0],
      ['since last hour', { since: NOW - hour }, 0],
      ['since..until, one day 3 days ago', { since: NOW - 4 * 24 * hour, until: NOW - 3 * 24 * hour }, 0],
      ['key_id + status=error', { keyId: someKey, status: 'error' }, 0],
      ['model + outcome=transient', { model: MODELS[3], outcome: 'transient' }, 0],
      ['status=error + last 24 h', { status: 'error', since: NOW - 24 * hour }, 0],
    ];
    const out: (string | number)[][] = [];
    for (const [name, f, offset] of cases) {
      const page: number[] = [];
      const total: number[] = [];
      let n = 0;
      for (let r = 0; r < RUNS; r++) {
        const t0 = performance.now();
        await store.page(f, 50, offset);
        const t1 = performance.now();
        n = await store.count(f);
        page.push(t1 - t0);
        total.push(performance.now() - t1);
      }
      out.push([name, n.toLocaleString('en'), ms(median(page)), ms(median(total)), ms(median(page) + median(total))]);
    }
    console.log(table(['GET /admin/requests (limit 50)', 'matching rows', 'page', 'total (count)', 'answer'], out));

    const other: (string | number)[][] = [];
    const time = async (name: string, fn: () => Promise<unknown>) => {
      const xs: number[] = [];
      for (let r = 0; r < RUNS; r++) { const t0 = performance.now(); await fn(); xs.push(performance.now() - t0); }
      other.push([name, ms(median(xs))]);
    };
    await time('CSV: first chunk of 1,000 rows', async () => { for await (const c of store.stream({})) { void c; break; } });
    await time('CSV: first chunk, status=error', async () => { for await (const c of store.stream({ status: 'error' })) { void c; break; } });
    for (const w of ['1h', '24h', '7d'] as const) {
      await time(`GET /admin/stats?window=${w} (uncached)`, () => new RequestStats(store, () => NOW).get(w));
    }
    await time('per-key success rate, last 24 h (all keys)', () => store.keyOutcomes(NOW - 24 * hour));
    await time('key-table trends, 24 h, 25 keys', () => store.keyTrends(Array.from({ length: 25 }, (_, i) => key(i)), NOW - 24 * hour, hour));
    console.log(`\n${table(['other reads', 'median'], other)}`);
    console.log(`\nmedian of ${RUNS} runs each; load ${load()} at the end`);
  } finally {
    await db.knex.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

void main();
