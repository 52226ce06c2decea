// How long the request log's heavy work holds up the event loop on SQLite: a timer that should fire
// every millisecond records the longest gap while each read (a page's total, the charts, the key
// table's figures) and a prune of half the rows run. Everything the event loop cannot do meanwhile
// (every request in flight) waits that long.
// Usage: npx tsx scripts/bench/request-log-stalls.ts [--rows N (200,000)]
// Uses only RequestLogStore's public methods, so a copy of it runs against an older tree as well.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '../../src/domain/weighted-index';
import { openDatabase } from '../../src/store/database';
import { RequestLogStore } from '../../src/store/request-log-store';
import { NOW, row } from './request-rows';
import { argNumber, fmt, load, machine, table } from './stats';

const ROWS = argNumber('rows', 200_000);
const DAY = 86_400_000;

/** Runs `work`; says how long it took and the longest the event loop went without turning meanwhile. */
async function stall(work: () => Promise<unknown>): Promise<{ ms: number; stall: number }> {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => { const now = performance.now(); worst = Math.max(worst, now - last); last = now; }, 1);
  const t0 = performance.now();
  await work();
  const t1 = performance.now();
  clearInterval(timer);
  return { ms: t1 - t0, stall: Math.max(worst, t1 - last) };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'orp-stalls-'));
  const db = await openDatabase({ dbType: 'sqlite', sqlitePath: join(dir, 'r.db'), mysql: { host: '', port: 0, database: '', user: '', password: '' } });
  const store = new RequestLogStore(db);
  try {
    const rnd = seededRandom(7);
    for (let i = 0; i < ROWS; i += 5000) await store.insert(Array.from({ length: Math.min(5000, ROWS - i) }, (_, j) => row(i + j, rnd, ROWS)));
    const cases: [string, () => Promise<unknown>][] = [
      ['total of every request (no filter)', () => store.count({})],
      ['total of status=ok', () => store.count({ status: 'ok' })],
      ['charts: 7 days by hour', () => store.buckets(NOW - 7 * DAY, 3_600_000)],
      ['key table: per-key outcomes, 24 h', () => store.keyOutcomes(NOW - DAY)],
      ['prune half the rows', () => store.prune(NOW - 3.5 * DAY)],
    ];
    const rows: (string | number)[][] = [];
    for (const [name, work] of cases) {
      const r = await stall(work);
      rows.push([name, `${fmt(r.ms, 1)} ms`, `${fmt(r.stall, 1)} ms`]);
    }
    console.log(`# request log stalls — ${new Date().toISOString()}\n${machine()}, load ${load()}, ${ROWS.toLocaleString('en')} rows over 7 days\n`);
    console.log(table(['work', 'took', 'longest event-loop stall'], rows));
  } finally {
    await store.close();
    await db.knex.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
