import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evolve } from '../../src/domain/evolve';
import { initialState } from '../../src/domain/pool-state';
import type { Log } from '../../src/log';
import { silentLog } from '../../src/log';
import { Projection } from '../../src/projection/projection';
import { Snapshotter } from '../../src/projection/snapshotter';
import type { Snapshot } from '../../src/store/snapshot-store';
import { ev, T0 } from '../helpers/events';
import { memorySnapshots, SharedLog } from '../helpers/shared-log';

function setup(o: { every?: number; save?: (s: Snapshot) => Promise<void> } = {}) {
  const saved: Snapshot[] = [];
  const errors: string[] = [];
  const log = { ...silentLog, error: (_o: unknown, msg?: string) => { errors.push(String(msg)); } } as unknown as Log;
  const store = { save: o.save ?? (async (s: Snapshot) => { saved.push(s); }) };
  const snapshots = new Snapshotter({ store, every: o.every ?? 3, kept: 2, now: () => T0 + 7, log });
  return { snapshots, saved, errors };
}

test('due once `every` events are folded since the last one', () => {
  const { snapshots } = setup({ every: 3 });
  assert.equal([0, 2, 3, 4].map((n) => snapshots.due(n)), [false, false, true, true]);
});

test('the state is serialised when captured: what is folded while it is saved does not slip in', async () => {
  const { snapshots, saved } = setup();
  let state = evolve(initialState(), ev.added('a'));
  const capture = snapshots.capture(state, 1);
  state = evolve(state, ev.added('b'));
  await snapshots.save(capture, 1, [3]);
  assert.equal(saved.map((s) => [s.seq, s.above, s.at, s.events, Object.keys(JSON.parse(s.state).keys)]), [[1, [3], T0 + 7, 1, ['a']]]);
  assert.equal(snapshots.stats, { lastSnapshotAt: T0 + 7, lastSnapshotSeq: 1 });
});

test('never two at once: a snapshot asked for while one is being written is not written', async () => {
  let release = () => undefined as void;
  const slow = new Promise<void>((r) => { release = r; });
  const { snapshots } = setup();
  let writes = 0;
  const write = async () => { writes++; await slow; };
  const first = snapshots.once(write);
  await snapshots.once(write);
  assert.is(writes, 1, 'the second was skipped');
  release();
  await first;
  await snapshots.once(write);
  assert.is(writes, 2, 'once the first is done the next one is written');
});

test('a failed snapshot is logged, not thrown, and the next one is tried', async () => {
  let fail = true;
  const { snapshots, errors } = setup({ save: async () => { if (fail) throw new Error('disk full'); } });
  await snapshots.once(() => snapshots.save(snapshots.capture(initialState(), 0), 1, []));
  assert.equal(errors, ['writing a snapshot failed']);
  assert.is(snapshots.stats.lastSnapshotAt, null, 'not shown as written');
  fail = false;
  await snapshots.once(() => snapshots.save(snapshots.capture(initialState(), 0), 2, []));
  assert.is(snapshots.stats.lastSnapshotSeq, 2);
});

test('a projection writes one once due, after the flush, covering what is durable', async () => {
  const snapshots = memorySnapshots();
  const p = new Projection({ events: new SharedLog().store('a'), snapshots, flushMs: 1e9, snapshotEvery: 3, snapshotsKept: 2, now: () => T0 });
  await p.load();
  await p.command(() => ({ events: [ev.added('a')], result: null }));
  p.record(ev.used('a'));
  assert.is(snapshots.saved.length, 0, 'two events: not due');
  p.record(ev.failed('a', 'transient'));
  await p.flush();
  await p.whenIdle(() => undefined); // the snapshot queued behind the flush
  assert.equal(snapshots.saved.map((s) => [s.seq, s.events, JSON.parse(s.state).keys.a.totalRequests]), [[3, 3, 2]]);
  assert.is(p.stats.eventsSinceSnapshot, 0);
  await p.stop();
  assert.is(snapshots.saved.length, 1, 'nothing new to stop with: no second one');
});

test.run();
