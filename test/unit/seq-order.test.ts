import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Decoded } from '../../src/events/decode';
import { SeqOrder } from '../../src/replica/seq-order';
import { ev } from '../helpers/events';

const row = (seq: number): Decoded => ({ ok: true, event: { ...ev.used('a'), seq, origin: 'o' } });
const seqs = (rows: Decoded[]) => rows.map((r) => (r.ok ? r.event.seq : r.seq));

test('rows come out in seq order, whatever order they were read in', () => {
  const o = new SeqOrder();
  o.push([row(2), row(3)], 0);
  assert.equal(seqs(o.drain(0, 1000)), [], 'seq 1 is missing: nothing may pass it yet');
  o.push([row(1)], 10);
  assert.equal(seqs(o.drain(10, 1000)), [1, 2, 3]);
  assert.is(o.watermark, 3);
  assert.is(o.waiting, 0);
});

test('a hole is given up once the row above it has been visible for waitMs; the later rows then pass', () => {
  const o = new SeqOrder(10);
  o.push([row(12)], 1000);
  assert.equal(seqs(o.drain(1999, 1000)), []);
  assert.equal(seqs(o.drain(2000, 1000)), [12]);
  assert.is(o.skipped, 1);
  o.push([row(11)], 2100);
  assert.equal(seqs(o.drain(2100, 1000)), [], 'a row below the watermark is too late: never folded out of order');
});

test('each hole waits for its own row above it, not for the one before it', () => {
  const o = new SeqOrder(0);
  o.push([row(2)], 0);
  o.push([row(4)], 900);
  assert.equal(seqs(o.drain(1000, 1000)), [2], 'hole 1 is old enough; hole 3 is not');
  assert.equal(seqs(o.drain(1900, 1000)), [4]);
  assert.is(o.skipped, 2);
});

test('missing lists the holes up to the highest seq read, for asking the database again', () => {
  const o = new SeqOrder(5);
  o.push([row(7), row(10)], 0);
  assert.equal(o.missing(10, 100), [6, 8, 9]);
  assert.equal(o.missing(12, 2), [6, 8]);
  assert.is(o.high, 10);
});

test('seqs a snapshot already folded above its watermark pass without being folded again', () => {
  const o = new SeqOrder(3, [5, 6]);
  o.push([row(4), row(5), row(6), row(7)], 0);
  assert.equal(seqs(o.drain(0, 1000)), [4, 7]);
  assert.is(o.watermark, 7);
});

test('an undecodable row keeps its place in the order', () => {
  const o = new SeqOrder();
  o.push([row(1), { ok: false, seq: 2, error: 'x' }, row(3)], 0);
  assert.equal(seqs(o.drain(0, 1000)), [1, 2, 3]);
});

test.run();
