// Three replicas (real processes) on one MariaDB database: one lease holder probes the dead keys each
// interval; when it is killed (SIGKILL: no goodbye) another takes over the probing; a replica that
// restarts catches up from the newest snapshot and the log after it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'undici';
import { AdminClient, fakeKey } from '../helpers/admin-client';
import { scenarios, startMockUpstream, type MockUpstream } from '../helpers/mock-upstream';
import { mysqlAvailable } from '../helpers/mysql';
import { eventually, sleep, startCluster, type Cluster, type ReplicaProcess } from '../helpers/replica-process';

interface Ctx { skip?: boolean; cluster?: Cluster; up?: MockUpstream; admins: Map<ReplicaProcess, AdminClient>; dead: string; deadId: string }
const s = suite<Ctx>('three replicas: one prober, takeover, restart', { admins: new Map(), dead: fakeKey(0xdead), deadId: '' });

s.before(async (c) => {
  c.skip = !(await mysqlAvailable());
  if (c.skip) return;
  c.up = await startMockUpstream();
  c.up.behave(c.dead, scenarios.userNotFound()); // its probes answer 401: it stays inactive and is probed every interval
  c.cluster = await startCluster({ OPENROUTER_BASE_URL: c.up.url, HEALTH_CHECK_INTERVAL_SECONDS: '1', SNAPSHOT_EVERY_EVENTS: '20' });
  const first = await c.cluster.start('r1'); // the first one creates the schema and takes the lease
  await Promise.all([c.cluster.start('r2'), c.cluster.start('r3')]);
  for (const r of c.cluster.replicas) await admin(c, r);
  const added = await c.admins.get(first)!.post('/admin/add-keys', { key_data: `${c.dead}\n${fakeKey(0x600d)}` });
  assert.is(added.json.added_count, 2, added.text);
  c.deadId = added.json.added[0].id;
  // Traffic finds it dead (a disabled key would never be probed): it goes inactive.
  const a = c.admins.get(first)!;
  const inactive = async () => (await a.get(`/admin/key-status?q=${c.deadId}`)).json.keys[0]?.status === 'inactive';
  for (let i = 0; i < 50 && !(await inactive()); i++) {
    const r = await request(`${first.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    });
    await r.body.text();
  }
  assert.ok(await inactive(), 'the dead key is inactive');
});
s.after(async (c) => {
  await c.cluster?.close();
  await c.up?.close();
});

async function admin(c: Ctx, r: ReplicaProcess): Promise<AdminClient> {
  let a = c.admins.get(r);
  if (!a) {
    a = new AdminClient(r.url);
    assert.is((await a.login()).status, 200);
    c.admins.set(r, a);
  }
  return a;
}

async function leaders(c: Ctx): Promise<ReplicaProcess[]> {
  const live = c.cluster!.replicas.filter((r) => r.running);
  const flags = await Promise.all(live.map(async (r) => (await (await admin(c, r)).get('/admin/app-status')).json.database.leader as boolean));
  return live.filter((_, i) => flags[i]);
}

async function keyTable(c: Ctx, r: ReplicaProcess): Promise<unknown[]> {
  const res = await (await admin(c, r)).get('/admin/key-status?limit=100');
  assert.is(res.status, 200, res.text);
  // The folded state must agree; when this process next probes and its cached request-log health
  // (refreshed at its own moments) are per process by design.
  const keys = (res.json.keys as Record<string, unknown>[]).map(({ next_probe_at: _n, success_rate: _s, requests_24h: _r, ...k }) => k);
  return (keys as { id: string }[]).sort((x, y) => x.id.localeCompare(y.id));
}

s('only the lease holder probes: one probe of the dead key per interval, not one per replica', async (c) => {
  if (c.skip) return;
  assert.is((await leaders(c)).length, 1);
  await eventually(() => c.up!.probesFor(c.dead) > 0, 3000, 'a first probe');
  const before = c.up!.probesFor(c.dead);
  await sleep(3000); // three intervals: three probing replicas would send about nine
  const probes = c.up!.probesFor(c.dead) - before;
  assert.ok(probes >= 1 && probes <= 5, `${probes} probes in three intervals`);
});

s('when the lease holder is killed, another replica takes the lease over and probes', async (c) => {
  if (c.skip) return;
  const [old] = await leaders(c);
  await old.kill();
  await eventually(async () => (await leaders(c)).length === 1, 8000, 'a new lease holder');
  const [next] = await leaders(c);
  assert.is.not(next, old);
  const before = c.up!.probesFor(c.dead);
  await eventually(() => c.up!.probesFor(c.dead) > before, 4000, 'probes by the new holder');
  await sleep(2000);
  const probes = c.up!.probesFor(c.dead) - before;
  assert.ok(probes <= 4, `still one prober: ${probes} probes in about three intervals`);
});

s('a replica restarted after the others moved on catches up from the snapshot and the log', async (c) => {
  if (c.skip) return;
  const live = c.cluster!.replicas.filter((r) => r.running);
  const [leader] = await leaders(c);
  const other = live.find((r) => r !== leader)!;
  const { code } = await other.term();
  assert.is(code, 0, 'a graceful stop');

  // While it is down: keys added, weights changed, traffic counted (on the leader, which snapshots every 20 events).
  const a = await admin(c, leader);
  const added = await a.post('/admin/add-keys', { key_data: Array.from({ length: 10 }, (_, i) => fakeKey(0x100 + i)).join('\n') });
  assert.is(added.json.added_count, 10, added.text);
  for (const k of added.json.added.slice(0, 5)) assert.is((await a.call('PATCH', `/admin/keys/${k.id}`, { weight: 9 })).status, 200);
  for (let i = 0; i < 40; i++) {
    const r = await request(`${leader.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }),
    });
    await r.body.text();
    assert.is(r.statusCode, 200);
  }
  await eventually(async () => (await a.get('/admin/app-status')).json.events.last_snapshot_seq > 0, 3000, 'a snapshot by the lease holder');
  await a.post('/admin/add-keys', { key_data: fakeKey(0x200) }); // after the snapshot: only in the log

  const back = await c.cluster!.start(other.name);
  const loaded = back.logs().find((l) => l.msg === 'key state loaded') as { fromSnapshot: boolean; replayed: number; keys: number };
  assert.ok(loaded.fromSnapshot, 'loaded from the snapshot');
  // The leader may snapshot again after the last add (every 20 events, on its own timer); then there is
  // nothing left to replay, and the key table below is the proof that nothing was missed.
  await eventually(async () => JSON.stringify(await keyTable(c, back)) === JSON.stringify(await keyTable(c, leader)), 2000, 'the same key table as the leader');
  assert.is((await keyTable(c, back)).length, 13);
});

s.run();
