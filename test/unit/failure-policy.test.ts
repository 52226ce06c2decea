import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evolve } from '../../src/domain/evolve';
import { classify, dynamicCooldownSeconds, failureEvents, type UpstreamFailure } from '../../src/domain/failure-policy';
import { initialState, keyStatus, type PoolState } from '../../src/domain/pool-state';
import { ev, T0 } from '../helpers/events';

const settings = { cooldownSeconds: 600, maxCooldownSeconds: 3600, maxConsecutiveFailures: 3 };
const failure = (status: number | null, message = '', more: Partial<UpstreamFailure> = {}): UpstreamFailure =>
  ({ status, message, retryAfterSeconds: null, rateLimitResetMs: null, providerName: null, retryable: null, ...more });

test('classify follows DESIGN.md and the wire reference', () => {
  const table: [UpstreamFailure, string][] = [
    [failure(401, 'User not found.'), 'credential'],
    [failure(403, 'Key limit exceeded (daily limit). Manage it using https://openrouter.ai/settings/keys'), 'credential'],
    [failure(402, 'This request requires more credits'), 'quota'],
    [failure(429, 'Rate limit exceeded: free-models-per-day. Add 10 credits'), 'quota'],
    [failure(429, 'Rate limit exceeded: free-models-per-min'), 'rate_limit'],
    [failure(429, 'Provider returned error', { providerName: 'DeepInfra' }), 'transient'],
    [failure(408, 'Operation timed out'), 'transient'],
    [failure(500, 'Internal Server Error'), 'transient'],
    [failure(502, 'Provider returned error'), 'transient'],
    [failure(503, 'overloaded'), 'transient'],
    [failure(524, ''), 'transient'],
    [failure(529, ''), 'transient'],
    [failure(null, 'ECONNRESET'), 'transient'],
    [failure(400, 'x is not a valid model ID'), 'caller'],
    [failure(403, 'm requires moderation on P. Your input was flagged for "violence".', { providerName: 'P' }), 'caller'],
    [failure(404, 'No endpoints found that support tool use'), 'caller'],
    [failure(413, 'Payload too large'), 'caller'],
    [failure(422, 'Unprocessable'), 'caller'],
  ];
  for (const [f, cls] of table) assert.is(classify(f), cls, `${f.status} ${f.message}`);
});

test('availability.retryable overrides the status table', () => {
  assert.is(classify(failure(404, 'no endpoints', { retryable: true })), 'transient');
  assert.is(classify(failure(503, 'routing constraint', { retryable: false })), 'caller');
});

test('the dynamic cooldown doubles with each consecutive failure and stops at the cap', () => {
  assert.equal([1, 2, 3, 4, 5].map((n) => dynamicCooldownSeconds(n, settings)), [600, 1200, 2400, 3600, 3600]);
  assert.is(dynamicCooldownSeconds(1000, settings), 3600);
});

const keyAfter = (...events: Parameters<typeof evolve>[1][]): PoolState => events.reduce(evolve, initialState());

test('credential failures deactivate the key at once', () => {
  const s = keyAfter(ev.added('a'));
  const out = failureEvents(s.keys.a, 'credential', failure(401, 'User not found.'), 'upstream 401', settings, T0);
  assert.equal(out.map((e) => e.type), ['KeyFailed', 'KeyDeactivated']);
  const after = out.reduce(evolve, s);
  assert.is(keyStatus(after.keys.a, T0), 'inactive');
});

test('a limit naming its reset rests the key until then (capped by KEY_MAX_COOLDOWN_SECONDS), with no escalation', () => {
  const s = keyAfter(ev.added('a'));
  const short = failureEvents(s.keys.a, 'rate_limit', failure(429, '', { retryAfterSeconds: 5 }), 'r', settings, T0);
  assert.equal(short[1], { type: 'KeyCooled', at: T0, key_id: 'a', actor: 'proxy', data: { until: T0 + 5000, seconds: 5 } });
  const long = failureEvents(s.keys.a, 'rate_limit', failure(429, '', { retryAfterSeconds: 5000 }), 'r', settings, T0);
  assert.is((long[1].data as { until: number }).until, T0 + 3_600_000, 'capped');
  const unnamed = failureEvents(s.keys.a, 'rate_limit', failure(429, ''), 'r', settings, T0);
  assert.is((unnamed[1].data as { until: number }).until, T0 + 600_000, 'no reset named: the dynamic cooldown');
});

test('X-RateLimit-Reset is a floor for rate limits', () => {
  const s = keyAfter(ev.added('a'));
  const out = failureEvents(s.keys.a, 'rate_limit', failure(429, '', { rateLimitResetMs: T0 + 900_000 }), 'r', settings, T0);
  assert.is((out[1].data as { until: number }).until, T0 + 900_000);
});

test('a 402 cools by the dynamic cooldown (the whole key)', () => {
  const s = keyAfter(ev.added('a'));
  const unnamed = failureEvents(s.keys.a, 'quota', failure(402, 'credits'), 'q', settings, T0);
  assert.is((unnamed[1].data as { until: number }).until, T0 + 600_000);
});

test('transient failures are counted, never cooled; caller faults produce nothing', () => {
  const s = keyAfter(ev.added('a'));
  assert.equal(failureEvents(s.keys.a, 'transient', failure(503), 'x', settings, T0).map((e) => e.type), ['KeyFailed']);
  assert.equal(failureEvents(s.keys.a, 'caller', failure(400), 'x', settings, T0), []);
});

test('the cooldown escalates and KEY_MAX_CONSECUTIVE_FAILURES in a row make the key inactive', () => {
  let s = keyAfter(ev.added('a'));
  const untils: number[] = [];
  let now = T0;
  for (let i = 0; i < 3; i++) {
    const out = failureEvents(s.keys.a, 'rate_limit', failure(429), 'r', settings, now);
    s = out.reduce(evolve, s);
    if (out[1].type === 'KeyCooled') { untils.push(out[1].data.until - now); now = out[1].data.until + 1; } // fails again once usable
    else assert.is(out[1].type, 'KeyDeactivated');
  }
  assert.equal(untils, [600_000, 1_200_000]);
  assert.is(keyStatus(s.keys.a, now + 10_000_000), 'inactive');
});

test('failures that land while the key already cools (concurrent requests) neither escalate nor deactivate', () => {
  let s = keyAfter(ev.added('a'));
  const first = failureEvents(s.keys.a, 'rate_limit', failure(429, '', { rateLimitResetMs: T0 + 60_000 }), 'r', settings, T0);
  s = first.reduce(evolve, s);
  for (let i = 1; i <= 5; i++) {
    const out = failureEvents(s.keys.a, 'rate_limit', failure(429, '', { rateLimitResetMs: T0 + 60_000 }), 'r', settings, T0 + i);
    assert.equal(out.map((e) => e.type), ['KeyFailed'], 'counted, nothing more');
    s = out.reduce(evolve, s);
  }
  assert.is(s.keys.a.consecutiveFailures, 1);
  assert.is(s.keys.a.totalFailures, 6);
  assert.is(keyStatus(s.keys.a, T0 + 10), 'cooling');
  // …but an upstream floor that reaches further than the current cooldown still extends it.
  const later = failureEvents(s.keys.a, 'rate_limit', failure(429, '', { retryAfterSeconds: 3000 }), 'r', settings, T0 + 10);
  assert.equal(later[1], { type: 'KeyCooled', at: T0 + 10, key_id: 'a', actor: 'proxy', data: { until: T0 + 10 + 3_000_000, seconds: 3000 } });
});

test('Retry-After is a floor for a free-tier reset too, and a second credential failure does not deactivate twice', () => {
  let s = keyAfter(ev.added('a'));
  const q = failureEvents(s.keys.a, 'quota', failure(429, 'free-models-per-day', { rateLimitResetMs: T0 + 1000, retryAfterSeconds: 100 }), 'q', settings, T0);
  assert.equal(q.map((e) => e.type), ['KeyFailed', 'KeyFreeCooled']);
  assert.is((q[1].data as { until: number }).until, T0 + 100_000);
  s = failureEvents(s.keys.a, 'credential', failure(401), 'c', settings, T0).reduce(evolve, s);
  assert.equal(failureEvents(s.keys.a, 'credential', failure(401), 'c', settings, T0 + 1).map((e) => e.type), ['KeyFailed']);
});

test('a success resets the count, so the next failure starts from the base cooldown again', () => {
  let s = keyAfter(ev.added('a'), ev.failed('a', 'rate_limit'), ev.failed('a', 'rate_limit'), ev.used('a'));
  const out = failureEvents(s.keys.a, 'rate_limit', failure(429), 'r', settings, T0);
  s = out.reduce(evolve, s);
  assert.is((out[1].data as { until: number }).until, T0 + 600_000);
  assert.is(s.keys.a.consecutiveFailures, 1);
});

test.run();
