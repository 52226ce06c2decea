// Pacing of :free requests: the pacer's sliding window and UTC day, and the free index that leaves out
// full keys and puts them back when their time comes (no timer), as the proxy's pick sees it.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evolve } from '../../src/domain/evolve';
import { FreePacer } from '../../src/domain/free-pacer';
import { initialState, type PoolState } from '../../src/domain/pool-state';
import { TimeHeap } from '../../src/domain/time-heap';
import { seededRandom } from '../../src/domain/weighted-index';
import type { NewEvent } from '../../src/events/types';
import { FreeSelection } from '../../src/projection/free-selection';
import { ev } from '../helpers/events';

const T = Date.UTC(2026, 11, 1, 12, 0, 0);
const limits = { perWindow: 3, windowMs: 60_000, perDay: 5 };

test('the pacer: a sliding window, then the UTC day', () => {
  const p = new FreePacer();
  for (const at of [T, T + 10_000, T + 20_000]) p.note('a', at);
  assert.is(p.nextAt('a', T + 30_000, limits, 0), T + 60_000, 'full until the oldest leaves the window');
  assert.is(p.nextAt('a', T + 60_000, limits, 0), T + 60_000, 'free again then');
  p.note('a', T + 60_000);
  p.note('a', T + 70_000);
  assert.is(p.nextAt('a', T + 200_000, limits, 0), Date.UTC(2026, 11, 2), 'five today: back at midnight');
  assert.is(p.nextAt('b', T, limits, 5), Date.UTC(2026, 11, 2), 'the log\'s count (other replicas) counts too');
  assert.is(p.remaining('c', T, limits, 4), 1);
});

test('the time heap pops in time order', () => {
  const h = new TimeHeap();
  for (const [at, id] of [[5, 'e'], [1, 'a'], [3, 'c'], [2, 'b'], [4, 'd']] as const) h.push(at, id);
  const out: string[] = [];
  for (let e = h.pop(); e; e = h.pop()) out.push(e.id);
  assert.equal(out, ['a', 'b', 'c', 'd', 'e']);
});

function pool(...events: NewEvent[]): PoolState {
  return events.reduce(evolve, initialState());
}

test('free selection: full keys leave the index and come back when their window clears; paid selection is untouched', () => {
  const s = pool(ev.added('a', 1, T), ev.added('b', 1, T));
  const sel = new FreeSelection(() => limits);
  sel.rebuild(s, T);
  const random = seededRandom(3);
  const picked: string[] = [];
  for (let i = 0; i < 7; i++) picked.push(sel.pick(s, random, T + i)?.id ?? '-');
  assert.is(picked.filter((x) => x === 'a').length, 3);
  assert.is(picked.filter((x) => x === 'b').length, 3);
  assert.is(picked[6], '-', 'both windows full');
  assert.is(sel.earliest(s, T + 10), T + 60_000, 'the earliest return');
  assert.is(sel.capacity(s, T + 10).now, 0);
  assert.ok(sel.pick(s, random, T + 60_001) !== null, 'back a window later');
});

test('free selection: a learnt limit and a live settings change apply; a restart rests keys used within the window', () => {
  let current = limits;
  const s = pool(ev.added('a', 1, T), { type: 'KeyFreeCooled', at: T, key_id: 'a', actor: 'proxy', data: { until: T, seconds: 0, window: 'minute', limit: 1, strikes: 0, reason: 'r' } });
  const sel = new FreeSelection(() => current);
  sel.rebuild(s, T);
  const random = seededRandom(1);
  assert.ok(sel.pick(s, random, T + 1));
  assert.is(sel.pick(s, random, T + 2), null, 'learnt: one per window');
  s.keys.a.freeLimitWindow = null;
  current = { ...limits, perWindow: 10 };
  sel.settingsChanged(s, T + 3);
  assert.ok(sel.pick(s, random, T + 3), 'the new setting applies at once');

  const used = pool(ev.added('a', 1, T), { ...ev.used('a', 1, T + 5000), data: { ...(ev.used('a', 1, T + 5000).data as object), free: 1 } } as NewEvent);
  const restarted = new FreeSelection(() => limits);
  restarted.rebuild(used, T + 10_000);
  assert.is(restarted.pick(used, random, T + 10_000), null, 'its window counts as full');
  assert.is(restarted.earliest(used, T + 10_000), T + 65_000);
  assert.ok(restarted.pick(used, random, T + 65_000));
});

test.run();
