// What a request-log row costs to write (issue 12: the proxy's CPU per request): N rows through
// RequestLogStore.insert in batches of 500, as the writer sends them, into a fresh SQLite database with
// the real schema, then the same into one without the secondary indexes, and alternating, so the
// indexes' share is measured against a baseline in the same run. CPU time of this process per row.
// Usage: npx tsx scripts/bench/request-log-writes.ts [--rows N (100,000)] [--rounds N (3)] [--batch N (500)]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '../../src/domain/weighted-index';
import { openDatabase } from '../../src/store/database';
import { RequestLogStore } from '../../src/store/request-log-store';
import { row } from './request-rows';
import { argNumber, fmt, load, machine, median, table } from './stats';

const ROWS = argNumber('rows', 100_000);
const ROUNDS = argNumber('rounds', 3);
const BATCH = argNumber('batch', 500); // the writer's batch
const NO_MYSQL = { host: '', port: 0, database: '', user: '', password: '' };

async function cpuPerRow(path: string, withIndexes: boolean): Promise<number> {
  const db = await openDatabase({ dbType: 'sqlite', sqlitePath: path, mysql: NO_MYSQL });
  try {
    if (!withIndexes) {
      const indexes = await db.knex.raw<{ name: string }[]>(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('request_log', 'request_keys') AND sql IS NOT NULL");
      for (const { name } of indexes) await db.knex.raw(`DROP INDEX ${name}`);
    }
    const store = new RequestLogStore(db);
    const rnd = seededRandom(12);
    const batches = Array.from({ length: Math.ceil(ROWS / BATCH) }, (_, b) =>
      Array.from({ length: Math.min(BATCH, ROWS - b * BATCH) }, (_, j) => row(b * BATCH + j, rnd, ROWS)));
    const t0 = process.cpuUsage();
    for (const batch of batches) await store.insert(batch);
    const used = process.cpuUsage(t0);
    return (used.user + used.system) / ROWS;
  } finally {
    await db.knex.destroy();
  }
}

async function main(): Promise<void> {
  console.log(`# request-log writes — ${new Date().toISOString()}\n${machine()}, load ${load()}\n`);
  const dir = mkdtempSync(join(tmpdir(), 'orp-bench-rlw-'));
  const all: number[] = [];
  const bare: number[] = [];
  try {
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? [true, false] : [false, true];
      for (const withIndexes of order) {
        const us = await cpuPerRow(join(dir, `r${r}-${withIndexes ? 'all' : 'none'}.db`), withIndexes);
        (withIndexes ? all : bare).push(us);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(table(['schema', 'CPU µs per row (median)', 'per round'], [
    ['as migrated', fmt(median(all), 2), all.map((x) => fmt(x, 2)).join(' / ')],
    ['no secondary indexes', fmt(median(bare), 2), bare.map((x) => fmt(x, 2)).join(' / ')],
  ]));
  console.log(`\nindexes / none: ${fmt(median(all) / median(bare), 2)}× (${ROWS.toLocaleString('en')} rows, batches of ${BATCH}, load ${load()})`);
}

void main();
