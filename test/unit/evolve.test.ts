import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evolve, SECRET_CHANGED } from '../../src/domain/evolve';
import { initialState, keyStatus, type PoolState } from '../../src/domain/pool-state';
import type { NewEvent } from '../../src/events/types';
import { ev, T0 } from '../helpers/events';

const given = (...events: NewEvent[]): PoolState => events.reduce(evolve, initialState());

test('KeyAdded creates an active key with its weight and remembers its masked name', () => {
  const s = given(ev.added('a', 3));
  assert.is(s.keys.a.weight, 3);
  assert.is(s.keys.a.active, true);
  assert.is(keyStatus(s.keys.a, T0), 'active');
  assert.is(s.names.a, 'sk-…a');
  assert.is(s.everAdded, 1);
});

test('a second KeyAdded for an existing key changes nothing', () => {
  const s = given(ev.added('a', 3), ev.used('a', 2), ev.added('a', 9));
  assert.is(s.keys.a.weight, 3);
  assert.is(s.keys.a.totalRequests, 2);
});

test('KeyUsed adds counts and tokens, keeps the latest use and resets consecutive failures', () => {
  const s = given(ev.added('a'), ev.failed('a', 'rate_limit'), ev.used('a', 3, T0 + 5000, 40), ev.used('a', 1, T0 + 1000, 2));
  const k = s.keys.a;
  assert.is(k.totalRequests, 5);
  assert.is(k.totalTokens, 42);
  assert.is(k.lastUsedAt, T0 + 5000);
  assert.is(k.consecutiveFailures, 0);
  assert.equal(s.totals, { requests: 5, failures: 1, tokens: 42 });
});

for (const cls of ['credential', 'quota', 'rate_limit'] as const) {
  test(`KeyFailed (${cls}) counts toward deactivation and records the error`, () => {
    const s = given(ev.added('a'), ev.failed('a', cls, T0 + 1), ev.failed('a', cls, T0 + 2));
    assert.is(s.keys.a.consecutiveFailures, 2);
    assert.is(s.keys.a.totalFailures, 2);
    assert.is(s.keys.a.lastFailureAt, T0 + 2);
    assert.is(s.keys.a.lastFailureClass, cls);
    assert.is(s.keys.a.lastError, 'upstream 429');
  });
}

test('a transient KeyFailed is counted but does not push the key toward inactive', () => {
  const s = given(ev.added('a'), ev.failed('a', 'transient', T0, 503));
  assert.is(s.keys.a.totalFailures, 1);
  assert.is(s.keys.a.consecutiveFailures, 0);
  assert.is(s.keys.a.active, true);
});

test('KeyCooled makes the key cooling until its time, then active again by the clock', () => {
  const s = given(ev.added('a'), ev.cooled('a', T0 + 60_000));
  assert.is(keyStatus(s.keys.a, T0 + 59_999), 'cooling');
  assert.is(keyStatus(s.keys.a, T0 + 60_000), 'active');
});

test('a shorter KeyCooled never shortens a longer cooldown', () => {
  const s = given(ev.added('a'), ev.cooled('a', T0 + 60_000), ev.cooled('a', T0 + 1000));
  assert.is(s.keys.a.coolUntil, T0 + 60_000);
});

test('KeyDeactivated makes a key inactive; KeyReactivated by probe or admin brings it back with a clean count', () => {
  for (const by of ['probe', 'admin'] as const) {
    const s = given(ev.added('a'), ev.failed('a', 'credential'), ev.deactivated('a'), ev.reactivated('a', by));
    assert.is(keyStatus(s.keys.a, T0), 'active');
    assert.is(s.keys.a.consecutiveFailures, 0);
    assert.is(s.keys.a.coolUntil, null);
  }
  assert.is(keyStatus(given(ev.added('a'), ev.deactivated('a')).keys.a, T0), 'inactive');
});

test('the end of a cooldown does not revive a key deactivated meanwhile', () => {
  const s = given(ev.added('a'), ev.cooled('a', T0 + 10), ev.deactivated('a'), ev.reactivated('a', 'cooldown'));
  assert.is(keyStatus(s.keys.a, T0 + 100), 'inactive');
  assert.is(s.keys.a.coolUntil, null);
});

test('KeyWeightChanged sets the weight; KeyDeleted removes the key but keeps its name', () => {
  const s = given(ev.added('a'), ev.weight('a', 7));
  assert.is(s.keys.a.weight, 7);
  const d = given(ev.added('a'), ev.deleted('a'));
  assert.is(d.keys.a, undefined);
  assert.is(d.names.a, 'sk-…a');
  assert.is(d.everAdded, 1);
});

test('a deleted key can be added again', () => {
  const s = given(ev.added('a', 2), ev.used('a', 5), ev.deleted('a'), ev.added('a', 4));
  assert.is(s.keys.a.weight, 4);
  assert.is(s.keys.a.totalRequests, 0);
});

test('SettingsChanged stores plain values and only bumps a version for secrets', () => {
  const s = given(ev.settings({ default_model: 'm/x', app_api_key: SECRET_CHANGED }));
  assert.equal(s.settings, { default_model: 'm/x' });
  assert.is(s.secretsVersion, 1);
});

test('a plain setting whose value reads "[changed]" is stored, not taken for a secret change', () => {
  const s = given(ev.settings({ default_model: SECRET_CHANGED }));
  assert.equal(s.settings, { default_model: SECRET_CHANGED });
  assert.is(s.secretsVersion, 0);
});

test('events for unknown keys, probes and logins change no key', () => {
  const s = given(ev.added('a'), ev.used('zz'), ev.failed('zz', 'quota'), ev.cooled('zz', T0 + 5), ev.deactivated('zz'), ev.probed('a', false), ev.login(true), ev.login(false));
  assert.equal(Object.keys(s.keys), ['a']);
  assert.is(s.keys.a.totalRequests, 0);
});

test('evolve never throws, even on an event type it does not know', () => {
  const bogus = { type: 'Nope', at: T0, key_id: 'a', actor: 'admin', data: {} } as unknown as NewEvent;
  assert.not.throws(() => evolve(initialState(), bogus));
});

test.run();
