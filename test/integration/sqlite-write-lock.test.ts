// SQLite: while another connection holds the write lock (the request log's writer thread commits a
// batch), an event append waits for it without stopping the event loop, then stores its events; held
// for longer than the busy timeout, the write fails with SQLITE_BUSY as before.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Sqlite from 'better-sqlite3';
import { openDatabase, type Database } from '../../src/store/database';
import { EventStore } from '../../src/store/event-store';
import { writeWhenFree } from '../../src/store/sqlite-connection';
import { ev } from '../helpers/events';

const NO_MYSQL = { host: '', port: 0, database: '', user: '', password: '' };

/** Another thread holds the write lock until `release()`. */
async function holdWriteLock(file: string): Promise<{ release: () => Promise<void> }> {
  const w = new Worker(`
    const Sqlite = require(${JSON.stringify(require.resolve('better-sqlite3'))});
    const { parentPort, workerData } = require('node:worker_threads');
    const db = new Sqlite(workerData.file);
    db.exec('BEGIN IMMEDIATE');
    db.prepare("INSERT INTO meta (name, value) VALUES ('held', 'by another thread')").run();
    parentPort.postMessage('locked');
    parentPort.once('message', () => { db.exec('COMMIT'); db.close(); parentPort.postMessage('released'); });
  `, { eval: true, workerData: { file } });
  await new Promise<void>((resolve, reject) => { w.once('message', () => resolve()); w.once('error', reject); });
  return {
    release: async () => {
      const released = new Promise<void>((resolve) => w.once('message', () => resolve()));
      w.postMessage('release');
      await released;
      await w.terminate();
    },
  };
}

/** Counts event-loop turns every 5 ms until stopped. */
function ticker(): { stop: () => number } {
  let n = 0;
  const t = setInterval(() => { n++; }, 5);
  return { stop: () => { clearInterval(t); return n; } };
}

const t = suite<{ dir: string; file: string; db: Database }>('SQLite write lock held by another connection');
t.before.each(async (ctx) => {
  ctx.dir = mkdtempSync(join(tmpdir(), 'orp-lock-'));
  ctx.file = join(ctx.dir, 'k.db');
  ctx.db = await openDatabase({ dbType: 'sqlite', sqlitePath: ctx.file, mysql: NO_MYSQL });
});
t.after.each(async ({ db, dir }) => { await db.knex.destroy(); rmSync(dir, { recursive: true, force: true }); });

t('an event append waits for the lock while the event loop goes on, then stores its events', async ({ db, file }) => {
  const store = new EventStore(db, 'test');
  await store.append([ev.added('a')]);
  const lock = await holdWriteLock(file);
  const ticks = ticker();
  const appended = store.append([ev.used('a', 2), ev.added('b')]);
  await new Promise((resolve) => setTimeout(resolve, 200)); // would never fire if the append slept in this thread
  await lock.release();
  const stored = await appended;
  const turns = ticks.stop();
  assert.equal(stored.map((e) => e.seq), [2, 3]);
  assert.equal((await store.readAfter(0)).map((d) => d.ok && d.event.type), ['KeyAdded', 'KeyUsed', 'KeyAdded']);
  assert.ok(turns >= 20, `the event loop ran ${turns} times in 200 ms of waiting`);
});

t('held for longer than the timeout: SQLITE_BUSY, and the loop was never stopped', async ({ file }) => {
  const lock = await holdWriteLock(file);
  const conn = new Sqlite(file);
  try {
    const ticks = ticker();
    const began = performance.now();
    const err = await writeWhenFree(conn, () => conn.exec("BEGIN IMMEDIATE; INSERT INTO meta (name, value) VALUES ('late', 'x'); COMMIT"), 150)
      .then(() => null, (e: Error & { code?: string }) => e);
    const turns = ticks.stop();
    assert.is(err?.code, 'SQLITE_BUSY');
    assert.ok(performance.now() - began >= 140, 'it waited for the timeout');
    assert.ok(turns >= 10, `the event loop ran ${turns} times while it waited`);
    assert.is(conn.pragma('busy_timeout', { simple: true }), 5000); // the connection's own timeout is back
  } finally {
    conn.close();
    await lock.release();
  }
});

t.run();
