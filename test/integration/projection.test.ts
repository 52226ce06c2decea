import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { keyStatus } from '../../src/domain/pool-state';
import type { NewEvent } from '../../src/events/types';
import { Projection } from '../../src/projection/projection';
import { openDatabase, type Database } from '../../src/store/database';
import { EventStore } from '../../src/store/event-store';
import { SnapshotStore } from '../../src/store/snapshot-store';
import { ev } from '../helpers/events';

const memory = () => openDatabase({ dbType: 'sqlite', sqlitePath: ':memory:', mysql: { host: '', port: 0, database: '', user: '', password: '' } });

let processes = 0; // each projection stands for a process of its own, with its own origin
const newStore = (db: Database) => new EventStore(db, `process-${++processes}`);
function projection(db: Database, o: { events?: EventStore; flushMs?: number } = {}) {
  return new Projection({ events: o.events ?? newStore(db), snapshots: new SnapshotStore(db), flushMs: o.flushMs ?? 5, snapshotEvery: 1e9, snapshotsKept: 2 });
}

test('an event that breaks the fold is logged and skipped; the pipeline goes on', async () => {
  const db = await memory();
  const p = projection(db);
  await p.load();
  await p.command(() => ({ events: [ev.added('a')], result: null }));
  p.record({ type: 'KeyUsed', at: 1, key_id: 'a', actor: 'proxy', data: null } as unknown as NewEvent);
  p.record(ev.used('a', 2));
  assert.is(p.stats.foldErrors, 1);
  assert.is(p.state.keys.a.totalRequests, 2);
  await p.stop();
  await db.knex.destroy();
});

test('a cooling key leaves the index and comes back when its time is up, with the end in the history', async () => {
  const db = await memory();
  const p = projection(db);
  await p.load();
  p.start();
  const now = Date.now();
  await p.command(() => ({ events: [ev.added('a', 1, now), ev.added('b', 1, now)], result: null }));
  p.record(ev.cooled('a', Date.now() + 80, now));
  assert.is(keyStatus(p.state.keys.a, Date.now()), 'cooling');
  for (let i = 0; i < 200; i++) assert.is(p.pick()?.id, 'b');
  await new Promise((r) => setTimeout(r, 200));
  const picked = new Set(Array.from({ length: 200 }, () => p.pick()?.id));
  assert.ok(picked.has('a'), 'a is pickable again');
  await p.flush();
  const history = await new EventStore(db, 'o').page({ page: 1, limit: 10, type: 'KeyReactivated' });
  assert.equal(history.events.map((e) => [e.key_id, e.data]), [['a', { by: 'cooldown' }]]);
  await p.stop();
  await db.knex.destroy();
});

test('picks never return inactive, deleted or excluded keys', async () => {
  const db = await memory();
  const p = projection(db);
  await p.load();
  await p.command(() => ({ events: [ev.added('a'), ev.added('b'), ev.added('c'), ev.added('d'), ev.deactivated('b'), ev.deleted('c')], result: null }));
  const seen = new Set<string | undefined>();
  for (let i = 0; i < 2000; i++) seen.add(p.pick(['d'])?.id);
  assert.equal([...seen], ['a']);
  assert.is(p.pick(['a', 'd']), null);
  await p.stop();
  await db.knex.destroy();
});

test('when the database refuses a batch, the outcomes stay queued and go out with the next flush', async () => {
  const db = await memory();
  const store = new EventStore(db, 'o');
  const p = projection(db, { events: store, flushMs: 10_000 });
  await p.load();
  await p.command(() => ({ events: [ev.added('a')], result: null }));
  const realAppend = store.append.bind(store);
  store.append = async () => { throw new Error('database is down'); };
  for (let i = 0; i < 10; i++) p.record(ev.used('a'));
  await p.flush().catch(() => undefined);
  assert.is(p.stats.pending, 1, 'coalesced and still queued');
  store.append = realAppend;
  await p.flush();
  const fresh = projection(db);
  await fresh.load();
  assert.is(fresh.state.keys.a.totalRequests, 10);
  await p.stop();
  await db.knex.destroy();
});

test('an outcome recorded while a command is being written is folded after it, as the log stores it', async () => {
  const db = await memory();
  const store = new EventStore(db, 'o');
  const p = projection(db, { events: store, flushMs: 10_000 });
  await p.load();
  await p.command(() => ({ events: [ev.added('a'), ev.failed('a', 'rate_limit')], result: null }));
  const realAppend = store.append.bind(store);
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  store.append = async (events) => { await gate; return realAppend(events); };
  const command = p.command(() => ({ events: [ev.reactivated('a', 'admin')], result: null }));
  await new Promise((r) => setImmediate(r));
  p.record(ev.failed('a', 'rate_limit'));
  release();
  await command;
  store.append = realAppend;
  await p.flush();
  const replay = projection(db);
  await replay.load();
  assert.is(replay.state.keys.a.consecutiveFailures, 1);
  assert.equal(p.state, replay.state);
  await p.stop();
  await db.knex.destroy();
});

test('a tailer that reads this process\'s own batch between its commit and its marking does not fold it twice', async () => {
  const db = await memory();
  const store = new EventStore(db, 'me');
  const p = projection(db, { events: store, flushMs: 10_000 });
  await p.load();
  const realAppend = store.append.bind(store);
  store.append = async (events) => {
    const stored = await realAppend(events);
    p.foldDecoded(await store.readAfter(0)); // what a replica's poll could see in that moment
    return stored;
  };
  await p.command(() => ({ events: [ev.added('a')], result: null }));
  for (let i = 0; i < 5; i++) p.record(ev.used('a'));
  await p.flush();
  assert.is(p.state.keys.a.totalRequests, 5);
  assert.is(p.state.everAdded, 1);
  await p.stop();
  await db.knex.destroy();
});

test.run();
