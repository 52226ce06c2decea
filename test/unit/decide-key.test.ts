// The key deciders, Given/When/Then over whole events (test/helpers/decider-spec.ts).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decideAdd, decideCooldownEnd, decideDelete, decideProbeResult, decideSetActive, decideUse, decideWeight } from '../../src/domain/decide-key';
import { decideFailure, type UpstreamFailure } from '../../src/domain/failure-policy';
import { isFreeSelectable, isSelectable, keyStatus } from '../../src/domain/pool-state';
import type { NewEvent } from '../../src/events/types';
import { given } from '../helpers/decider-spec';
import { ev, T0 } from '../helpers/events';

const settings = { cooldownSeconds: 600, maxCooldownSeconds: 86_400, maxConsecutiveFailures: 3 };
const f = (status: number | null, message: string, more: Partial<UpstreamFailure> = {}): UpstreamFailure =>
  ({ status, message, retryAfterSeconds: null, rateLimitResetMs: null, rateLimitLimit: null, providerName: null, retryable: null, ...more });
const MIDNIGHT = T0 + 86_400_000;
const admin = (e: NewEvent): NewEvent => ({ ...e, actor: 'admin' });

const newKey = (id: string, weight = 1) => ({ id, weight, masked: `sk-…${id}`, suffix: id });

test('add: keys new to the pool are added in order and become pickable; keys already there are duplicates and write nothing', () => {
  const g = given(ev.added('a'));
  const decision = decideAdd(g.state, [newKey('b', 3), newKey('a'), newKey('c')], 'admin', T0);
  const after = g.when(() => decision.events).then([
    { type: 'KeyAdded', at: T0, key_id: 'b', actor: 'admin', data: { weight: 3, masked: 'sk-…b', suffix: 'b' } },
    { type: 'KeyAdded', at: T0, key_id: 'c', actor: 'admin', data: { weight: 1, masked: 'sk-…c', suffix: 'c' } },
  ]);
  assert.equal(decision.added.map((k) => k.id), ['b', 'c']);
  assert.equal(decision.duplicates.map((k) => k.id), ['a']);
  assert.ok(['a', 'b', 'c'].every((id) => isSelectable(after.keys[id], T0)), 'every added key can be picked');
  assert.is(after.keys.b.weight, 3);
});

test('delete: each existing key once, however often it is named; unknown ids write nothing', () => {
  given(ev.added('a'), ev.added('b'))
    .when((s) => decideDelete(s, ['a', 'a', 'zz'], 'admin', T0))
    .then([{ type: 'KeyDeleted', at: T0, key_id: 'a', actor: 'admin', data: { masked: 'sk-…a' } }]);
  given(ev.added('a')).when((s) => decideDelete(s, ['zz'], 'admin', T0)).thenNothing();
});

test('weight: a new weight records the previous one; the same weight or an unknown key writes nothing', () => {
  const after = given(ev.added('a', 2))
    .when((s) => decideWeight(s, 'a', 5, 'admin', T0))
    .then([{ type: 'KeyWeightChanged', at: T0, key_id: 'a', actor: 'admin', data: { weight: 5, previous: 2 } }]);
  assert.is(after.keys.a.weight, 5);
  given(ev.added('a', 2)).when((s) => decideWeight(s, 'a', 2, 'admin', T0)).thenNothing();
  given(ev.added('a', 2)).when((s) => decideWeight(s, 'zz', 2, 'admin', T0)).thenNothing();
});

test('use: one KeyUsed, counted against the daily free quota when the model is :free', () => {
  const after = given(ev.added('a'))
    .when(() => decideUse({ id: 'a', now: T0, free: true, usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } }))
    .then([{ type: 'KeyUsed', at: T0, key_id: 'a', actor: 'proxy', data: { count: 1, prompt_tokens: 3, completion_tokens: 4, total_tokens: 7, last_used_at: T0, free: 1 } }]);
  assert.is(after.keys.a.freeDayCount, 1);
});

test('failure: free-models-per-day rests the key for :free models until the reset, plus jitter; paid still served', () => {
  const failure = f(429, 'Rate limit exceeded: free-models-per-day', { rateLimitResetMs: MIDNIGHT, rateLimitLimit: 50 });
  const after = given(ev.added('a'))
    .when((s) => decideFailure({ key: s.keys.a, cls: 'quota', failure, reason: 'q', settings: { ...settings, maxCooldownSeconds: 7 * 86_400 }, now: T0, free: true, jitterMs: 300 }))
    .then([
      { type: 'KeyFailed', at: T0, key_id: 'a', actor: 'proxy', data: { class: 'quota', status: 429, reason: 'q', consecutive: 0, free: 1, scope: 'free' } },
      { type: 'KeyFreeCooled', at: T0, key_id: 'a', actor: 'proxy', data: { until: MIDNIGHT + 300, seconds: 86_400, window: 'day', limit: 50, strikes: 0, reason: 'q' } },
    ]);
  assert.is(keyStatus(after.keys.a, T0 + 1), 'active', 'paid models still go');
  assert.not.ok(isFreeSelectable(after.keys.a, T0 + 1));
  assert.ok(isFreeSelectable(after.keys.a, MIDNIGHT + 301));
  assert.is(after.keys.a.freeLimitDay, 50);
});

test('failure: free-models-per-min rests until the window it names; coming back right after escalates', () => {
  const reset = T0 + 20_000;
  const failure = f(429, 'Rate limit exceeded: free-models-per-min', { rateLimitResetMs: reset, rateLimitLimit: 20 });
  const first = given(ev.added('a'))
    .when((s) => decideFailure({ key: s.keys.a, cls: 'rate_limit', failure, reason: 'm', settings, now: T0, free: true }));
  assert.equal(first.events[1].data, { until: reset, seconds: 20, window: 'minute', limit: 20, strikes: 0, reason: 'm' });
  const state = first.after;
  const again = decideFailure({ key: state.keys.a, cls: 'rate_limit', failure: f(429, 'free-models-per-min', { rateLimitResetMs: reset + 60_000 }), reason: 'm', settings, now: reset + 100, free: true });
  assert.equal(again[1].data, { until: reset + 100 + 600_000, seconds: 600, window: 'minute', limit: null, strikes: 1, reason: 'm' });
});

test('failure: a model\'s shared capacity or a provider\'s 429 changes nothing about the key', () => {
  for (const failure of [f(429, 'Rate limit exceeded: limit_rpm/x/y. High demand', { retryAfterSeconds: 30 }), f(429, 'Provider returned error', { providerName: 'P' })]) {
    const w = given(ev.added('a')).when((s) => decideFailure({ key: s.keys.a, cls: 'rate_limit', failure, reason: 'r', settings, now: T0 }));
    assert.equal(w.events.map((e) => e.type), ['KeyFailed']);
    const a = w.after.keys.a;
    assert.equal([a.coolUntil, a.freeCoolUntil, a.consecutiveFailures, keyStatus(a, T0)], [null, null, 0, 'active']);
  }
});

test('failure: a Retry-After of 10^20 is capped by KEY_MAX_COOLDOWN_SECONDS', () => {
  const w = given(ev.added('a')).when((s) => decideFailure({ key: s.keys.a, cls: 'rate_limit', failure: f(429, 'Rate limit exceeded', { retryAfterSeconds: 1e20 }), reason: 'r', settings, now: T0 }));
  assert.equal(w.events[1], { type: 'KeyCooled', at: T0, key_id: 'a', actor: 'proxy', data: { until: T0 + 86_400_000, seconds: 86_400 } });
  assert.is(new Date(w.after.keys.a.coolUntil!).toISOString(), '2026-01-02T00:00:00.000Z');
});

test('cooldown end: only a key whose cooldown is over, and an inactive key stays inactive', () => {
  given(ev.added('a'), ev.cooled('a', T0 + 1000)).when((s) => decideCooldownEnd(s.keys.a, T0 + 500)).thenNothing('not yet');
  const after = given(ev.added('a'), ev.cooled('a', T0 + 1000), ev.deactivated('a'))
    .when((s) => decideCooldownEnd(s.keys.a, T0 + 1000))
    .then([{ type: 'KeyReactivated', at: T0 + 1000, key_id: 'a', actor: 'system', data: { by: 'cooldown' } }]);
  assert.is(keyStatus(after.keys.a, T0 + 1000), 'inactive');
});

test('probe result: brings an inactive key back; an admin\'s check also ends a cooldown; a disabled key stays disabled', () => {
  const ok = { ok: true, status: 200, detail: 'key works' };
  const probed: NewEvent = { type: 'KeyProbed', at: T0, key_id: 'a', actor: 'probe', data: ok };
  const back: NewEvent = { type: 'KeyReactivated', at: T0, key_id: 'a', actor: 'probe', data: { by: 'probe' } };
  given(ev.added('a'), ev.deactivated('a')).when((s) => decideProbeResult(s.keys.a, ok, T0, false).events).then([probed, back]);
  given(ev.added('a'), ev.cooled('a', T0 + 60_000)).when((s) => decideProbeResult(s.keys.a, ok, T0, false).events).then([probed], 'the schedule leaves cooldowns alone');
  const checked = given(ev.added('a'), ev.cooled('a', T0 + 60_000)).when((s) => decideProbeResult(s.keys.a, ok, T0, true).events).then([probed, back]);
  assert.is(keyStatus(checked.keys.a, T0), 'active');
  given(ev.added('a'), admin(ev.deactivated('a'))).when((s) => decideProbeResult(s.keys.a, ok, T0, true).events).then([probed]);
  const bad = { ok: false, status: 401, detail: '401 User not found.' };
  given(ev.added('a')).when((s) => decideProbeResult(s.keys.a, bad, T0, false).events).then([
    { type: 'KeyProbed', at: T0, key_id: 'a', actor: 'probe', data: bad },
    { type: 'KeyDeactivated', at: T0, key_id: 'a', actor: 'probe', data: { reason: 'health check: 401 User not found.' } },
  ]);
});

test('set active: an admin\'s Deactivate disables (no probe undoes it); only Activate brings it back, free rest included', () => {
  const off = given(ev.added('a'), ev.deactivated('a'))
    .when((s) => decideSetActive(s, 'a', false, 'admin', T0))
    .then([{ type: 'KeyDeactivated', at: T0, key_id: 'a', actor: 'admin', data: { reason: 'deactivated by the admin' } }], 'an inactive key becomes disabled');
  assert.is(keyStatus(off.keys.a, T0), 'disabled');
  const probedBack = given(ev.added('a'), admin(ev.deactivated('a')), ev.reactivated('a', 'probe'));
  assert.is(keyStatus(probedBack.state.keys.a, T0), 'disabled', 'a probe\'s KeyReactivated (from an older writer) does not undo it');
  const freeRest: NewEvent = { type: 'KeyFreeCooled', at: T0, key_id: 'a', actor: 'proxy', data: { until: MIDNIGHT, seconds: 86_400, window: 'day', limit: null, strikes: 0, reason: 'q' } };
  const on = given(ev.added('a'), freeRest).when((s) => decideSetActive(s, 'a', true, 'admin', T0))
    .then([{ type: 'KeyReactivated', at: T0, key_id: 'a', actor: 'admin', data: { by: 'admin' } }]);
  assert.ok(isFreeSelectable(on.keys.a, T0));
  given(ev.added('a')).when((s) => decideSetActive(s, 'a', true, 'admin', T0)).thenNothing('already active');
  given().when((s) => decideSetActive(s, 'zz', false, 'admin', T0)).thenNothing('unknown key');
});

test.run();
