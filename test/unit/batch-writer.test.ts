import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BatchWriter, ListBuffer } from '../../src/projection/batch-writer';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

function setup(o: { maxBatch?: number; flushMs?: number; retryMs?: number; writeFullBatches?: boolean } = {}) {
  const buffer = new ListBuffer<number>();
  const written: number[][] = [];
  const failures: string[] = [];
  let refuse = 0;
  const w = new BatchWriter(buffer, {
    write: async (batch) => { if (refuse > 0) { refuse--; throw new Error('down'); } written.push(batch); },
    flushMs: o.flushMs ?? 1e9, retryMs: o.retryMs ?? 1e9, maxBatch: o.maxBatch, writeFullBatches: o.writeFullBatches,
    failed: (err) => { failures.push((err as Error).message); },
  });
  return { buffer, w, written, failures, refuse: (n: number) => { refuse = n; } };
}

test('a flush writes what is buffered, in batches of at most maxBatch', async () => {
  const s = setup({ maxBatch: 2 });
  for (const n of [1, 2, 3, 4, 5]) s.w.add(n);
  await s.w.flush();
  assert.equal(s.written, [[1, 2], [3, 4], [5]]);
});

test('the first item arms the flush timer', async () => {
  const s = setup({ flushMs: 5 });
  s.w.add(1);
  s.w.add(2);
  await tick(30);
  assert.equal(s.written, [[1, 2]]);
  s.w.stop();
});

test('a full batch is written at once, without waiting for the timer', async () => {
  const s = setup({ flushMs: 1e9, maxBatch: 3, writeFullBatches: true });
  s.w.add(1);
  s.w.add(2);
  await tick(10);
  assert.equal(s.written, [], 'below a full batch only the (long) timer would write');
  s.w.add(3);
  await tick(10);
  assert.equal(s.written, [[1, 2, 3]]);
  s.w.add(4);
  await tick(10);
  assert.equal(s.written, [[1, 2, 3]], 'the next item waits for the timer again');
  s.w.stop();
});

test('a batch that fails goes back in front, is reported, and a retry is armed', async () => {
  const s = setup({ retryMs: 5 });
  s.w.add(1);
  s.refuse(1);
  await s.w.flush().then(() => assert.unreachable('rejects'), () => undefined);
  assert.equal(s.failures, ['down']);
  assert.equal(s.buffer.take(), [1]);
  s.buffer.restore([1]);
  s.w.add(2);
  await tick(30);
  assert.equal(s.written, [[1, 2]], 'the retry wrote it, the failed item first');
  s.w.stop();
});

test('writes run one at a time, in order, with work that joins the queue', async () => {
  const s = setup();
  const seen: string[] = [];
  s.w.add(1);
  const flushed = s.w.flush().then(() => seen.push('flushed'));
  const joined = s.w.run(() => { seen.push(`ran after ${s.written.length} writes`); });
  await Promise.all([flushed, joined]);
  assert.equal(seen, ['flushed', 'ran after 1 writes']);
});

test('withBuffered hands the whole buffer to one write with more in it, and puts it back when that throws', async () => {
  const s = setup({ maxBatch: 1 });
  s.w.add(1);
  s.w.add(2);
  await s.w.run(() => s.w.withBuffered(async (batch) => { throw new Error(`refused ${batch.join(',')}`); })).catch(() => undefined);
  assert.equal(s.failures, ['refused 1,2']);
  assert.equal(s.buffer.take(), [1, 2]);
});

test('once stopped no timer is armed, and a final flush still writes', async () => {
  const s = setup({ flushMs: 5 });
  s.w.stop();
  s.w.add(1);
  await tick(20);
  assert.equal(s.written, []);
  await s.w.flush();
  assert.equal(s.written, [[1]]);
});

test.run();
