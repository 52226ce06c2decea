import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CooldownTimer, type Timers } from '../../src/projection/cooldown-timer';
import { PoolFold } from '../../src/projection/pool-fold';
import { ev, T0 } from '../helpers/events';

/** Timers that only run when the test says so; `set` lists what is armed, with its delay. */
function fakeTimers() {
  const armed = new Map<number, { fn: () => void; ms: number }>();
  let next = 0;
  const timers: Timers = {
    set: (fn, ms) => { armed.set(++next, { fn, ms }); return next; },
    clear: (h) => { armed.delete(h as number); },
  };
  return {
    timers,
    armed: () => [...armed.values()].map((t) => t.ms),
    /** Fires the one armed timer. */
    fire: () => {
      assert.is(armed.size, 1, 'exactly one timer is armed');
      const [[h, t]] = [...armed];
      armed.delete(h);
      t.fn();
    },
  };
}

function setup(ends: number[]) {
  let now = T0;
  const t = fakeTimers();
  const due: number[] = [];
  const timer = new CooldownTimer({
    now: () => now,
    earliest: () => Math.min(Infinity, ...ends.filter((e) => e > now)),
    due: (at) => { due.push(at); },
    timers: t.timers,
  });
  return { t, timer, due, ends, at: (ms: number) => { now = T0 + ms; } };
}

test('one timer, set for the earliest end (a little after it), however many keys cool', () => {
  const s = setup([T0 + 3000, T0 + 1000, T0 + 2000]);
  s.timer.start();
  assert.equal(s.t.armed(), [1005]);
});

test('a key that cools until sooner moves the timer forward; a later one leaves it', () => {
  const s = setup([T0 + 3000]);
  s.timer.start();
  s.timer.cooling(T0 + 5000);
  assert.equal(s.t.armed(), [3005], 'later: unchanged');
  s.ends.push(T0 + 500);
  s.timer.cooling(T0 + 500);
  assert.equal(s.t.armed(), [505], 'sooner: moved, still one timer');
});

test('when it fires it calls back with the time, then sets itself for the next end', () => {
  const s = setup([T0 + 1000, T0 + 4000]);
  s.timer.start();
  s.at(1005);
  s.t.fire();
  assert.equal(s.due, [T0 + 1005]);
  assert.equal(s.t.armed(), [2995 + 5], 'the next end, 4000 ms after T0');
  s.at(4005);
  s.t.fire();
  assert.equal(s.t.armed(), [], 'no end left: no timer');
});

test('an end beyond setTimeout\'s range is waited for in steps', () => {
  const s = setup([T0 + 40 * 86_400_000]);
  s.timer.start();
  assert.equal(s.t.armed(), [2 ** 31 - 1]);
});

test('once stopped it arms nothing', () => {
  const s = setup([T0 + 1000]);
  s.timer.start();
  s.timer.stop();
  assert.equal(s.t.armed(), []);
  s.timer.cooling(T0 + 10);
  s.timer.start();
  assert.equal(s.t.armed(), []);
});

test('with the fold: a cooling key leaves the index, and the timer ends its cooldown at the earliest end', () => {
  let now = T0;
  const t = fakeTimers();
  let timer: CooldownTimer | null = null;
  const pool = new PoolFold({ now: () => now, random: () => 0.5, cooling: (until) => timer?.cooling(until) });
  timer = new CooldownTimer({
    now: () => now,
    earliest: () => pool.earliestCoolEnd(),
    due: (at) => { for (const key of pool.cooledDown(at)) pool.fold(ev.reactivated(key.id, 'cooldown', at)); },
    timers: t.timers,
  });
  pool.fold(ev.added('a'));
  pool.fold(ev.added('b'));
  pool.fold(ev.cooled('a', T0 + 2000));
  pool.fold(ev.cooled('b', T0 + 1000));
  assert.equal(t.armed(), [1005]);
  assert.is(pool.pick(), null, 'both out of the index');
  assert.is(pool.earliestReturn(false), T0 + 1000);
  now = T0 + 1005;
  t.fire();
  assert.is(pool.pick()?.id, 'b', 'b is back');
  assert.is(pool.state.keys.a.coolUntil, T0 + 2000, 'a still cools');
  assert.equal(t.armed(), [2000 - 1005 + 5]);
});

test.run();
