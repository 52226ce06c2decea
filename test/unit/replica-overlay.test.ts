// A replica's live pool is the log-order state plus what that state does not hold yet: its own
// outcomes and commands until they are read back in order, and others' events waiting behind a hole.
// Polls must never take back what the proxy just learnt, and a hole must not hide the events above it.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { silentLog } from '../../src/log';
import { Projection } from '../../src/projection/projection';
import { Replication, type LeaseLike } from '../../src/replica/replication';
import { ev, T0 } from '../helpers/events';
import { memorySnapshots, SharedLog } from '../helpers/shared-log';

const noLease: LeaseLike = { held: false, start: async () => undefined, stop: async () => undefined };

async function boot(log: SharedLog, name: string, now: () => number) {
  const projection = new Projection({
    events: log.store(name), snapshots: memorySnapshots(), flushMs: 1e9, snapshotEvery: 1e9, snapshotsKept: 3, now,
    isLeader: () => false, writesSnapshots: () => false,
  });
  await projection.load();
  const replication = new Replication({
    lease: noLease, events: log.store(name), snapshots: memorySnapshots(), projection, log: silentLog,
    pollMs: 1e9, gapWaitMs: 100, snapshotEvery: 1e9, snapshotsKept: 3, now,
  });
  await replication.start();
  return { projection, replication, stop: async () => { await replication.stop(); await projection.stop(); } };
}

test('a poll keeps the outcomes this replica folded but has not read back, and settles them once read', async () => {
  let clock = T0;
  const log = new SharedLog();
  await log.store('seed').append([ev.added('k1'), ev.added('k2')]);
  const a = await boot(log, 'a', () => clock);
  const b = await boot(log, 'b', () => clock);
  a.projection.record(ev.failed('k1', 'rate_limit', clock));
  a.projection.record(ev.cooled('k1', clock + 60_000, clock));
  await b.projection.command(() => ({ events: [ev.weight('k1', 7, 1, clock)], result: null })); // touches k1 from elsewhere
  await a.replication.poll();
  const k1 = a.projection.state.keys.k1;
  assert.is(k1.weight, 7, "the other replica's change shows");
  assert.is(k1.coolUntil, clock + 60_000, 'the unflushed cooldown is still in force after the poll');
  assert.is(a.projection.pick(['k2']), null, 'so the proxy does not pick the cooling key');
  assert.is(a.replication.status().unsettled, 2);
  await a.projection.flush();
  await a.replication.poll();
  assert.is(a.replication.status().unsettled, 0, 'read back in log order: nothing left on top');
  assert.is(a.projection.state.keys.k1.coolUntil, clock + 60_000);
  assert.is(a.projection.state.keys.k1.totalFailures, 1, 'counted once, not once live and once read back');
  await b.replication.poll();
  assert.equal(b.projection.state.keys.k1, a.projection.state.keys.k1, 'both replicas hold the same key');
  await a.stop();
  await b.stop();
});

test('events above a hole show at once; the log-order state folds them after the hole, each once', async () => {
  let clock = T0;
  const log = new SharedLog();
  await log.store('seed').append([ev.added('k1'), ev.added('k2')]);
  const a = await boot(log, 'a', () => clock);
  const b = await boot(log, 'b', () => clock);
  log.failNext = true; // b's next append takes a seq and rolls back: a hole for good
  b.projection.record(ev.used('k2', 1, clock));
  await b.projection.flush().catch(() => undefined); // stays queued, goes out again with the next flush
  b.projection.record(ev.used('k1', 3, clock));
  await b.projection.flush();
  await a.replication.poll();
  assert.is(a.projection.state.keys.k1.totalRequests, 3, 'shown although a smaller seq is missing');
  assert.is(a.projection.state.keys.k2.totalRequests, 1);
  assert.ok(a.replication.status().shownAboveHoles > 0);
  assert.is(a.replication.status().logOrderFolded, 0, 'the log-order state waits for the hole');
  clock += 60_000; // past the late window: the hole is given up
  await a.replication.poll();
  assert.is(a.replication.status().waiting, 0);
  assert.is(a.replication.status().logOrderFolded, 2, "each of b's events folded once, in order");
  assert.is(a.projection.state.keys.k1.totalRequests, 3, 'and not counted again');
  assert.is(a.projection.state.totals.requests, 4);
  await a.stop();
  await b.stop();
});

test.run();
