// The pure pieces behind seeing the pool: when a credit report is worth an event, what a bulk action
// changes, the events that fold credit, labels and "inactive since", and the latency percentiles.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bulkChange, bulkEvents } from '../../src/domain/bulk';
import { creditChanged, creditFromKeyInfo, exhausted, type Credit } from '../../src/domain/credit';
import { evolve } from '../../src/domain/evolve';
import { initialState, keyStatus } from '../../src/domain/pool-state';
import type { NewEvent } from '../../src/events/types';
import { LATENCY_EDGES, latencyBin, percentile } from '../../src/request-log/latency-bins';

const T = Date.UTC(2026, 11, 1, 12);
const credit = (over: Partial<Credit> = {}): Credit => ({
  limit: 100, limit_remaining: 60, limit_reset: null, usage: 40, usage_daily: 4, usage_weekly: 10, usage_monthly: 40, is_free_tier: false, ...over,
});

test('creditChanged: only changes an operator would act on, or a day-old record', () => {
  const prev = credit();
  const cases: [Partial<Credit>, number, boolean][] = [
    [{}, 1000, false],
    [{ limit_remaining: 59.5, usage: 40.5 }, 1000, false], // under 1 % of the limit
    [{ limit_remaining: 58.9, usage: 41.1 }, 1000, true],
    [{ limit: 200 }, 1000, true],
    [{ limit_reset: 'monthly' }, 1000, true],
    [{ is_free_tier: true }, 1000, true],
    [{ limit_remaining: 0 }, 1000, true],
    [{}, 24 * 3_600_000, true],
  ];
  for (const [change, after, want] of cases) assert.is(creditChanged(prev, T, credit(change), T + after), want, JSON.stringify(change));
  assert.ok(creditChanged(null, null, prev, T));
  // No limit: a cent of usage is the step.
  const free = credit({ limit: null, limit_remaining: null, usage: 1 });
  assert.not.ok(creditChanged(free, T, { ...free, usage: 1.005 }, T + 1));
  assert.ok(creditChanged(free, T, { ...free, usage: 1.02 }, T + 1));
});

test('creditFromKeyInfo reads GET /key; exhausted means a limit with nothing left', () => {
  assert.equal(creditFromKeyInfo({ data: { limit: 10, limit_remaining: 2.5, limit_reset: 'daily', usage: 7.5, usage_daily: 1, usage_weekly: 2, usage_monthly: 7.5, is_free_tier: false, label: 'x' } }),
    { limit: 10, limit_remaining: 2.5, limit_reset: 'daily', usage: 7.5, usage_daily: 1, usage_weekly: 2, usage_monthly: 7.5, is_free_tier: false });
  assert.is(creditFromKeyInfo({ error: { message: 'no' } }), null);
  assert.is(creditFromKeyInfo({ data: { limit: 'lots' } })?.limit, null);
  assert.ok(exhausted(credit({ limit_remaining: 0 })));
  assert.ok(exhausted(credit({ limit_remaining: -0.01 })));
  assert.not.ok(exhausted(credit({ limit: null, limit_remaining: null })));
  assert.not.ok(exhausted(null));
});

function pool() {
  const s = initialState();
  const add = (id: string, weight: number): NewEvent => ({ type: 'KeyAdded', at: T, key_id: id, actor: 'admin', data: { weight, masked: `sk-or-v1-…${id}`, suffix: id } });
  for (const e of [add('a', 1), add('b', 2), add('c', 3)]) evolve(s, e);
  evolve(s, { type: 'KeyCooled', at: T, key_id: 'b', actor: 'proxy', data: { until: T + 60_000, seconds: 60 } });
  evolve(s, { type: 'KeyDeactivated', at: T + 5, key_id: 'c', actor: 'admin', data: { reason: 'x' } });
  return s;
}

test('evolve: credit, labels and inactive-since; a spent key is inactive until credit returns', () => {
  const s = pool();
  assert.is(s.keys.c.inactiveSince, T + 5);
  evolve(s, { type: 'KeyReactivated', at: T + 9, key_id: 'c', actor: 'admin', data: { by: 'admin' } });
  assert.is(s.keys.c.inactiveSince, null);
  evolve(s, { type: 'KeyCreditChecked', at: T + 10, key_id: 'a', actor: 'probe', data: credit({ limit_remaining: 0 }) });
  assert.is(s.keys.a.credit?.checked_at, T + 10);
  assert.is(keyStatus(s.keys.a, T + 11), 'inactive');
  evolve(s, { type: 'KeyCreditChecked', at: T + 20, key_id: 'a', actor: 'probe', data: credit({ limit_remaining: 5 }) });
  assert.is(keyStatus(s.keys.a, T + 21), 'active');
  evolve(s, { type: 'KeyLabelsChanged', at: T, key_id: 'a', actor: 'admin', data: { labels: ['x', 'y'], previous: [] } });
  assert.equal(s.keys.a.labels, ['x', 'y']);
});

test('bulk: only keys the action changes get an event, each as the single-key command would', () => {
  const s = pool();
  const ids = ['a', 'b', 'c'];
  const types = (action: Parameters<typeof bulkEvents>[2], args = {}) => bulkEvents(s, ids, action, args, T + 1, 'admin').map((e) => `${e.type}:${e.key_id}`);
  assert.equal(types('activate'), ['KeyReactivated:b', 'KeyReactivated:c']);
  assert.equal(types('deactivate'), ['KeyDeactivated:a', 'KeyDeactivated:b']);
  assert.equal(types('end_cooldown'), ['KeyReactivated:b']);
  assert.equal(bulkEvents(s, ids, 'end_cooldown', {}, T + 1, 'admin')[0].data, { by: 'cooldown' });
  assert.equal(types('set_weight', { weight: 2 }), ['KeyWeightChanged:a', 'KeyWeightChanged:c']);
  assert.equal(types('add_label', { label: 'Team' }), ['KeyLabelsChanged:a', 'KeyLabelsChanged:b', 'KeyLabelsChanged:c']);
  for (const e of bulkEvents(s, ids, 'add_label', { label: 'Team' }, T, 'admin')) evolve(s, e);
  assert.equal(types('add_label', { label: 'team' }), [], 'labels compare ignoring case');
  assert.equal(types('remove_label', { label: 'TEAM' }).length, 3);
  assert.equal(types('delete'), [], 'delete and check are run by the edge');
  assert.equal(bulkChange(s.keys.a, 'set_weight', { weight: 4 }, T), { id: 'a', masked: 'sk-or-v1-…a', from: 'weight 1', to: 'weight 4' });
  assert.equal(bulkEvents(s, ['a', 'gone'], 'deactivate', {}, T, 'admin').length, 1, 'a key deleted meanwhile is skipped');
});

test('latency bins and percentiles', () => {
  assert.is(latencyBin(0), 0);
  assert.is(latencyBin(9.99), 0);
  assert.is(latencyBin(10), 1);
  assert.is(latencyBin(1e9), LATENCY_EDGES.length);
  const hist = new Array<number>(LATENCY_EDGES.length + 1).fill(0);
  assert.is(percentile(hist, 0.5), null);
  hist[latencyBin(120)] = 50; // 100..150
  hist[latencyBin(2500)] = 50; // 2000..3000
  assert.ok(percentile(hist, 0.5)! >= 100 && percentile(hist, 0.5)! <= 150);
  assert.ok(percentile(hist, 0.95)! >= 2000 && percentile(hist, 0.95)! <= 3000);
});

test.run();
