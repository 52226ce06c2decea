// The lease that picks the one replica that probes and writes snapshots, on MariaDB.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { silentLog } from '../../src/log';
import { Lease } from '../../src/replica/lease';
import { LeaseStore } from '../../src/store/lease-store';
import type { Database } from '../../src/store/database';
import { mysqlAvailable } from '../helpers/mysql';
import { openFreshMysqlDatabase } from '../helpers/mysql-database';

const s = suite<{ skip?: boolean; db?: Database; drop?: () => Promise<void>; leases: Lease[] }>('lease on MySQL', { leases: [] });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

s.before(async (c) => { c.skip = !(await mysqlAvailable()); });
s.before.each(async (c) => {
  if (c.skip) return;
  ({ db: c.db, drop: c.drop } = await openFreshMysqlDatabase());
  c.leases = [];
});
s.after.each(async (c) => {
  for (const l of c.leases) await l.stop();
  await c.db?.knex.destroy();
  await c.drop?.();
});

const lease = (c: { db?: Database; leases: Lease[] }, owner: string, leaseMs = 2000) => {
  const l = new Lease({ store: new LeaseStore(c.db!), name: 'leader', owner, leaseMs, log: silentLog });
  c.leases.push(l);
  return l;
};

s('the first contender holds the lease, the second does not, and takes it over when it is handed back', async (c) => {
  if (c.skip) return;
  const a = lease(c, 'replica-a');
  const b = lease(c, 'replica-b');
  await a.start();
  await b.start();
  assert.ok(a.held);
  assert.not.ok(b.held);
  await a.stop();
  assert.not.ok(a.held, 'a stopped holder no longer leads');
  await b.tryOnce();
  assert.ok(b.held, 'a handed-back lease is taken at the next attempt');
});

s('a holder that stops renewing (killed) loses the lease when it expires, and a contender takes over', async (c) => {
  if (c.skip) return;
  const a = lease(c, 'replica-a', 600);
  const b = lease(c, 'replica-b', 600);
  await a.tryOnce(); // one attempt, no renewal timer: as if the process died right after
  await b.tryOnce();
  assert.ok(a.held);
  assert.not.ok(b.held);
  await sleep(700);
  assert.not.ok(a.held, 'the dead holder would no longer believe it leads');
  await b.tryOnce();
  assert.ok(b.held);
  await a.tryOnce();
  assert.not.ok(a.held, 'the old holder cannot take it back while the new one renews');
});

s('a live holder renews the lease, so it keeps it well past its length', async (c) => {
  if (c.skip) return;
  const a = lease(c, 'replica-a', 600);
  const b = lease(c, 'replica-b', 600);
  await a.start();
  await sleep(1500);
  await b.tryOnce();
  assert.ok(a.held);
  assert.not.ok(b.held);
});

s('expiry is judged by the database clock: a row expired there is free whatever the contender thinks', async (c) => {
  if (c.skip) return;
  await c.db!.knex('leases').insert({ name: 'leader', owner: 'gone', expires_at: Date.now() + 3_600_000 });
  const b = lease(c, 'replica-b');
  await b.tryOnce();
  assert.not.ok(b.held, 'unexpired on the database clock');
  await c.db!.knex.raw("UPDATE leases SET expires_at = ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000) - 1 WHERE name = 'leader'");
  await b.tryOnce();
  assert.ok(b.held);
  const row = await c.db!.knex('leases').where({ name: 'leader' }).first();
  assert.is(row.owner, 'replica-b');
});

s.run();
