// Starting on a database a crash left behind: a batch whose transaction never committed (a process
// killed mid-transaction, its pages already spilled to the WAL) leaves nothing; torn rows (data that
// is not JSON, a type this version does not know) are skipped and logged, and the events after them
// are folded. The state is the same from the snapshot or from a full replay.

import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import knexFactory, { type Knex } from 'knex';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { keyId } from '../../src/domain/key-lines';
import { fakeKey } from '../helpers/admin-client';
import { startServer, type TestServer } from '../helpers/server';

const A = fakeKey(0xa1);
const B = fakeKey(0xb2);
const MARK = 'uncommitted-batch';

/** A process that begins a big batch, spills it to the WAL and is SIGKILLed before COMMIT. */
function killMidTransaction(file: string, keyIdA: string): void {
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(${JSON.stringify(file)});
    db.pragma('journal_mode = WAL');
    db.pragma('cache_size = 1'); // tiny page cache: dirty pages go to the WAL before the commit
    db.exec('BEGIN IMMEDIATE');
    const ins = db.prepare("insert into key_events (at, type, key_id, actor, origin, data) values (?, 'KeyDeleted', ?, 'admin', ?, ?)");
    const pad = 'x'.repeat(2000);
    for (let i = 0; i < 3000; i++) ins.run(Date.now(), ${JSON.stringify(keyIdA)}, ${JSON.stringify(MARK)}, JSON.stringify({ masked: pad }));
    process.kill(process.pid, 'SIGKILL');
  `;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: process.cwd(), encoding: 'utf8' });
  assert.is(r.signal, 'SIGKILL', `the writer was killed mid-transaction: ${r.stderr}`);
}

async function withDb<T>(file: string, fn: (k: Knex) => Promise<T>): Promise<T> {
  const k = knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
  try { return await fn(k); } finally { await k.destroy(); }
}

test('a batch that never committed leaves nothing; torn rows are skipped and logged; the rest folds', async () => {
  let s: TestServer = await startServer({ env: { OPENROUTER_API_KEYS: `${A}:3,${B}:4` } });
  try {
    const file = s.config.sqlitePath;
    await s.stop(); // clean stop: a snapshot covers everything so far

    killMidTransaction(file, keyId(A));
    assert.ok(statSync(`${file}-wal`).size > 1_000_000, 'the uncommitted batch reached the WAL file');
    const seqs = await withDb(file, async (k) => {
      const ins = (type: string, key: string, data: string) =>
        k('key_events').insert({ at: Date.now(), type, key_id: key, actor: 'admin', origin: 'by-hand', data });
      const [notJson] = await ins('KeyWeightChanged', keyId(A), '{"weight": 9, "previ');
      const [unknown] = await ins('KeyExploded', keyId(A), '{}');
      await ins('KeyWeightChanged', keyId(B), JSON.stringify({ weight: 7, previous: 4 }));
      const [lastTorn] = await ins('KeyDeleted', keyId(B), '{"masked":');
      return [notJson, unknown, lastTorn].map(Number);
    });

    s = await s.restart();
    const ready = await fetch(`${s.url}/readyz`);
    assert.is(ready.status, 200, 'a clean start');
    const keys = s.rt.projection.state.keys;
    assert.ok(keys[keyId(A)], 'A is there: its uncommitted deletions left nothing');
    assert.is(keys[keyId(A)].weight, 3, 'the torn weight change of A was not applied');
    assert.ok(keys[keyId(B)], 'B is there: the torn deletion of B was skipped');
    assert.is(keys[keyId(B)].weight, 7, 'the valid event after the torn rows was folded');
    const uncommitted = await s.rt.db.knex('key_events').where('origin', MARK).count({ n: '*' });
    assert.is(Number(uncommitted[0].n), 0, 'no row of the uncommitted batch is in the log');

    const skipped = s.logs.filter((l) => l.includes('skipping an event that does not decode')).map((l) => JSON.parse(l));
    assert.equal(skipped.map((l) => l.seq).sort((x, y) => x - y), seqs, 'each torn row is logged by its seq');
    assert.ok(skipped.some((l) => /unknown event type KeyExploded/.test(l.error)));
    assert.ok(skipped.some((l) => /not JSON/.test(l.error)));

    // The same state from a full replay, without any snapshot.
    const fromSnapshot = JSON.stringify(s.rt.projection.state.keys);
    await s.stop();
    await withDb(file, (k) => k('snapshots').delete());
    s = await s.restart();
    assert.is(s.rt.load.fromSnapshot, false);
    assert.is(JSON.stringify(s.rt.projection.state.keys), fromSnapshot);
  } finally {
    await s.close();
  }
});

test.run();
