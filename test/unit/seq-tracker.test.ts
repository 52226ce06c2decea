import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SeqTracker } from '../../src/projection/seq-tracker';

test('seqs folded in order move the watermark and leave no hole', () => {
  const t = new SeqTracker();
  for (const s of [1, 2, 3]) t.mark(s, 0);
  assert.is(t.watermark, 3);
  assert.not.ok(t.hasHole);
  assert.ok(t.has(2));
  assert.not.ok(t.has(4));
});

test('a larger seq seen first opens a hole that closes when the smaller one arrives', () => {
  const t = new SeqTracker(2);
  t.mark(5, 100);
  t.mark(4, 100);
  assert.is(t.watermark, 2);
  assert.ok(t.hasHole);
  assert.equal(t.aboveList(), [4, 5]);
  assert.not.ok(t.has(3));
  t.mark(3, 200);
  assert.is(t.watermark, 5);
  assert.not.ok(t.hasHole);
});

test('a hole is held open for waitMs, then skipped; the skipped seqs are returned so a late one can be fetched', () => {
  const t = new SeqTracker(10);
  t.mark(13, 1000);
  assert.equal(t.skipOldHoles(1999, 1000), [], 'not yet: held open');
  assert.is(t.watermark, 10);
  assert.equal(t.skipOldHoles(2000, 1000), [11, 12]);
  assert.is(t.watermark, 13);
  assert.ok(t.has(11), 'a skipped seq counts as passed: it is never folded twice');
});

test('only the holes below the first folded seq are skipped; the next hole waits its own time', () => {
  const t = new SeqTracker(0);
  t.mark(2, 0);
  t.mark(5, 0);
  assert.equal(t.skipOldHoles(1000, 1000), [1]);
  assert.is(t.watermark, 2);
  assert.equal(t.aboveList(), [5]);
  assert.equal(t.skipOldHoles(1500, 1000), [], 'the hole at 3-4 waits from when it became the first');
  assert.equal(t.skipOldHoles(2000, 1000), [3, 4]);
  assert.is(t.watermark, 5);
});

test('a tracker rebuilt from a snapshot keeps its folded seqs above the watermark', () => {
  const t = new SeqTracker(7, [9, 10]);
  assert.ok(t.has(9));
  assert.not.ok(t.has(8));
  t.mark(8, 0);
  assert.is(t.watermark, 10);
  assert.ok(new SeqTracker(3, [4, 5]).watermark === 5, 'contiguous seqs are compacted at once');
});

test.run();
