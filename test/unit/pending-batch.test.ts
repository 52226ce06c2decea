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


test('a 503 storm of 100 attempts over 3 keys, mixed with uses, writes at most two events per key; replay equals the live fold', () => {
  const b = new PendingBatch();
  const live: NewEvent[] = ['a', 'b', 'c'].map((id) => ev.added(id));
  for (let i = 0; i < 100; i++) {
    const id = ['a', 'b', 'c'][i % 3];
    const fail: NewEvent = { type: 'KeyFailed', at: T0 + i, key_id: id, actor: 'proxy', data: { class: 'transient', status: 503, reason: `upstream 503 #${i}`, consecutive: 0, ...(i % 2 ? { free: 1 } : {}) } };
    live.push(fail);
    if (i % 10 === 0) live.push(ev.used(id, 1, T0 + i, 5));
  }
  for (const e of live.slice(3)) b.add(e);
  const batch = b.take();
  assert.ok(batch.length <= 6, `${batch.length} events`);
  const failures = batch.filter((e) => e.type === 'KeyFailed').reduce((n, e) => n + ((e.data as { count?: number }).count ?? 1), 0);
  assert.is(failures, 100, 'every attempt is still counted');
  const folded = live.reduce(evolve, initialState());
  const replayed = [...live.slice(0, 3), ...batch].reduce(evolve, initialState());
  assert.equal(replayed, folded);
});

test('a failure that escalates is never merged: it closes the open transient run', () => {
  const b = new PendingBatch();
  b.add({ type: 'KeyFailed', at: T0, key_id: 'a', actor: 'proxy', data: { class: 'transient', status: 503, reason: 'x', consecutive: 0 } });
  b.add(ev.failed('a', 'rate_limit'));
  b.add({ type: 'KeyFailed', at: T0 + 1, key_id: 'a', actor: 'proxy', data: { class: 'transient', status: 503, reason: 'y', consecutive: 0 } });
  assert.equal(b.take().map((e) => (e.data as { class: string }).class), ['transient', 'rate_limit', 'transient']);
});

test.run();
