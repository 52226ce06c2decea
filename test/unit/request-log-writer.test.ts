import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { silentLog } from '../../src/log';
import type { RequestSummary } from '../../src/request-log/entry';
import { RequestLogWriter } from '../../src/request-log/writer';
import type { RequestLogStore } from '../../src/store/request-log-store';

const row = (at: number): RequestSummary => ({
  at, route: '/v1/chat/completions', model: 'm', stream: false, status: 200, outcome: 'ok', attempts: 1, key_id: 'k',
  keys_tried: [], latency_ms: 1, ttfb_ms: null, input_tokens: 0, output_tokens: 0, cost: null, client: '127.0.0.1',
});

function setup(maxQueue: number, batch = 500) {
  const inserted: number[][] = [];
  let refuse: Error | null = null;
  let clock = 0;
  const store = { insert: async (rows: readonly RequestSummary[]) => { if (refuse) throw refuse; inserted.push(rows.map((r) => r.at)); } };
  const w = new RequestLogWriter(store as unknown as RequestLogStore, silentLog, { flushMs: 1e9, maxQueue, batch, retryForMs: 30_000, now: () => clock });
  return {
    w, inserted,
    refuse: (on: boolean) => { refuse = on ? new Error('bad row') : null; },
    /** The database away: a connection error, which passes. */
    away: (on: boolean) => { refuse = on ? Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' }) : null; },
    tick: (ms: number) => { clock += ms; },
  };
}

test('rows beyond the bounded queue are dropped and counted, the rest written in batches', async () => {
  const s = setup(3, 2);
  for (let i = 1; i <= 5; i++) s.w.push(row(i));
  assert.equal([s.w.stats.queued, s.w.stats.dropped], [3, 2]);
  await s.w.flush();
  assert.equal(s.inserted, [[1, 2], [3]]);
  assert.equal([s.w.stats.written, s.w.stats.queued], [3, 0]);
  await s.w.stop();
});

test('a batch the database refuses is dropped and counted; the rows after it are written', async () => {
  const s = setup(10);
  s.w.push(row(1));
  s.refuse(true);
  await s.w.flush();
  assert.equal([s.w.stats.failed, s.w.stats.queued], [1, 0], 'not kept: it would be refused again');
  s.refuse(false);
  s.w.push(row(2));
  await s.w.flush();
  assert.equal(s.inserted, [[2]]);
  await s.w.stop();
});

test('while the database is away a batch stays in front and is written once it is back: nothing lost', async () => {
  const s = setup(10, 2);
  s.w.push(row(1)); s.w.push(row(2)); s.w.push(row(3));
  s.away(true);
  await s.w.flush(); // the first batch fails: kept, and the flush stops there
  s.tick(10_000);
  await s.w.flush();
  s.w.push(row(4));
  assert.equal([s.w.stats.failed, s.w.stats.queued, s.inserted.length], [0, 4, 0]);
  s.away(false);
  await s.w.flush();
  assert.equal(s.inserted, [[1, 2], [3, 4]], 'in order, the kept batch first');
  assert.equal([s.w.stats.written, s.w.stats.failed, s.w.stats.queued], [4, 0, 0]);
  await s.w.stop();
});

test('away for longer than retryForMs, the batch in front is dropped and counted; the next ones get their own time', async () => {
  const s = setup(10, 2);
  s.w.push(row(1)); s.w.push(row(2)); s.w.push(row(3));
  s.away(true);
  await s.w.flush();
  s.tick(30_000);
  await s.w.flush(); // [1, 2] dropped; [3] fails for the first time
  assert.equal([s.w.stats.failed, s.w.stats.queued], [2, 1]);
  s.away(false);
  await s.w.flush();
  assert.equal(s.inserted, [[3]]);
  await s.w.stop();
});

test('at shutdown a batch that fails is counted, not kept for a later that will not come', async () => {
  const s = setup(10);
  s.w.push(row(1));
  s.away(true);
  await s.w.stop();
  assert.equal([s.w.stats.failed, s.w.stats.written], [1, 0]);
});

test.run();
