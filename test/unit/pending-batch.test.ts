import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evolve } from '../../src/domain/evolve';
import { initialState } from '../../src/domain/pool-state';
import type { NewEvent } from '../../src/events/types';
import { PendingBatch } from '../../src/projection/pending-batch';
import { ev, T0 } from '../helpers/events';

test('uses of one key coalesce into one KeyUsed with a count, tokens and the last use', () => {
  const b = new PendingBatch();
  for (let i = 0; i < 100; i++) b.add(ev.used('a', 1, T0 + i, 10));
  b.add(ev.used('b', 1, T0));
  const out = b.take();
  assert.is(out.length, 2);
  assert.equal(out[0].data, { count: 100, prompt_tokens: 1000, completion_tokens: 0, total_tokens: 1000, last_used_at: T0 + 99 });
  assert.is(b.size, 0);
});

test('another event of the key in between closes the coalescing, so replay equals the live fold', () => {
  const b = new PendingBatch();
  const live: NewEvent[] = [ev.added('a'), ev.used('a'), ev.failed('a', 'rate_limit'), ev.used('a'), ev.used('a'), ev.failed('a', 'quota')];
  for (const e of live.slice(1)) b.add(e);
  const batch = b.take();
  assert.equal(batch.map((e) => e.type), ['KeyUsed', 'KeyFailed', 'KeyUsed', 'KeyFailed']);
  const folded = live.reduce(evolve, initialState());
  const replayed = [live[0], ...batch].reduce(evolve, initialState());
  assert.equal(replayed, folded);
});

test('a batch that failed to append goes back in front, in order', () => {
  const b = new PendingBatch();
  b.add(ev.used('a', 1));
  const first = b.take();
  b.add(ev.used('a', 2));
  b.add(ev.failed('b', 'transient'));
  b.restore(first);
  const out = b.take();
  assert.equal(out.map((e) => [e.type, e.key_id]), [['KeyUsed', 'a'], ['KeyFailed', 'b']]);
  assert.is((out[0].data as { count: number }).count, 3);
});

test.run();
