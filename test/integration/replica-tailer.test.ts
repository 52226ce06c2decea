// Tailing one MySQL log that several writers append to at once, on MariaDB: InnoDB makes a smaller seq
// visible after a larger one when transactions overlap; nothing may be lost or folded twice, and the
// tailing replica must end in the state the log gives in seq order.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { evolve } from '../../src/domain/evolve';
import { initialState, type PoolState } from '../../src/domain/pool-state';
import type { NewEvent } from '../../src/events/types';
import { silentLog } from '../../src/log';
import { Projection } from '../../src/projection/projection';
import { mysqlReplication, type Replication } from '../../src/replica/replication';
import type { Database } from '../../src/store/database';
import { EventStore } from '../../src/store/event-store';
import { SnapshotStore } from '../../src/store/snapshot-store';
import { ev } from '../helpers/events';
import { waitUntil } from '../helpers/mock-upstream';
import { mysqlAvailable } from '../helpers/mysql';
import { openFreshMysqlDatabase } from '../helpers/mysql-database';

interface Ctx { skip?: boolean; db?: Database; drop?: () => Promise<void>; projection?: Projection; replication?: Replication }
const s = suite<Ctx>('tailing a shared MySQL log');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const KEYS = ['k1', 'k2', 'k3', 'k4'];

s.before(async (c) => { c.skip = !(await mysqlAvailable()); });
s.before.each(async (c) => {
  if (c.skip) return;
  ({ db: c.db, drop: c.drop } = await openFreshMysqlDatabase());
  await new EventStore(c.db, 'seed').append(KEYS.map((k) => ev.added(k)));
  c.projection = new Projection({
    events: new EventStore(c.db, 'reader'), snapshots: new SnapshotStore(c.db), flushMs: 20, snapshotEvery: 1e9, snapshotsKept: 2,
    writesSnapshots: () => false,
  });
  await c.projection.load();
  c.replication = mysqlReplication({
    db: c.db, origin: 'reader', events: new EventStore(c.db, 'reader'), snapshots: new SnapshotStore(c.db), projection: c.projection,
    log: silentLog, pollMs: 50, gapWaitMs: 100, leaseSeconds: 5, snapshotEvery: 1e9, snapshotsKept: 2,
  });
  await c.replication.start();
});
s.after.each(async (c) => {
  await c.replication?.stop();
  await c.projection?.stop();
  await c.db?.knex.destroy();
  await c.drop?.();
});

/** Appends in a transaction that stays open `holdMs` after its inserts: its seqs become visible late. */
async function slowAppend(db: Database, origin: string, events: NewEvent[], holdMs: number, rollback = false): Promise<void> {
  await db.knex.transaction(async (trx) => {
    for (const e of events) {
      await trx('key_events').insert({ at: e.at, type: e.type, key_id: e.key_id, actor: e.actor, origin, data: JSON.stringify(e.data) });
    }
    await sleep(holdMs);
    if (rollback) throw new Error('rolled back on purpose');
  }).catch((err) => { if (!rollback) throw err; });
}

async function logOrder(db: Database): Promise<PoolState> {
  const rows = await new EventStore(db, 'check').readAfter(0, 1e6);
  return rows.reduce((st, d) => (d.ok ? evolve(st, d.event) : st), initialState());
}

function randomEvents(n: number, random: () => number): NewEvent[] {
  const out: NewEvent[] = [];
  for (let i = 0; i < n; i++) {
    const k = KEYS[Math.floor(random() * KEYS.length)];
    const at = Date.now();
    const r = random();
    if (r < 0.4) out.push(ev.used(k, 1 + Math.floor(random() * 3), at));
    else if (r < 0.7) out.push(ev.failed(k, 'rate_limit', at));
    else if (r < 0.8) out.push(ev.deactivated(k, at));
    else if (r < 0.9) out.push(ev.reactivated(k, 'admin', at));
    else out.push(ev.weight(k, 1 + Math.floor(random() * 9), 1, at));
  }
  return out;
}

s('concurrent appenders with transactions that commit late: every event folded once, ending in log order', async (c) => {
  if (c.skip) return;
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const writers = Array.from({ length: 4 }, (_, w) => (async () => {
    const store = new EventStore(c.db!, `writer-${w}`);
    for (let t = 0; t < 25; t++) {
      const events = randomEvents(1 + Math.floor(random() * 3), random);
      if (t % 8 === 3) await slowAppend(c.db!, `writer-${w}`, events, 400); // visible after the gap wait
      else await store.append(events);
      await sleep(Math.floor(random() * 10));
    }
  })());
  await Promise.all(writers);
  const max = await new EventStore(c.db!, 'x').maxSeq();
  await waitUntil(() => c.replication!.status().orderedSeq === max && c.replication!.status().unsettled === 0, 5000);
  const expected = await logOrder(c.db!);
  assert.equal(c.projection!.state.keys, expected.keys, 'the tailing replica holds the log-order state of every key');
  assert.equal(c.projection!.state.totals, expected.totals, 'every usage counter counted exactly once');
  assert.ok(c.replication!.status().lateFolded > 0, 'some seqs appeared after the gap wait and were still folded');
});

s('a rolled-back append leaves a hole for good; the events above it are folded after the gap wait', async (c) => {
  if (c.skip) return;
  const rolledBack = slowAppend(c.db!, 'writer-x', [ev.used('k1', 1000)], 300, true);
  await sleep(50);
  await new EventStore(c.db!, 'writer-y').append([ev.used('k2', 5)]);
  await rolledBack;
  await waitUntil(() => c.projection!.state.keys.k2.totalRequests === 5, 2000);
  assert.is(c.projection!.state.keys.k1.totalRequests, 0, 'nothing of the rolled-back transaction is folded');
  await new EventStore(c.db!, 'writer-y').append([ev.used('k3', 2)]);
  await waitUntil(() => c.projection!.state.keys.k3.totalRequests === 2, 2000);
});

s.run();
