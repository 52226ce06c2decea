// Two replicas (real processes) on one MariaDB database behave like one service: a change made on one
// is honoured by the other within a second, a session works on both and a logout ends it on both, and
// a key that traffic on one deactivated is never sent upstream by the other.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'undici';
import { AdminClient, fakeKey } from '../helpers/admin-client';
import { scenarios, startMockUpstream, type MockUpstream } from '../helpers/mock-upstream';
import { mysqlAvailable } from '../helpers/mysql';
import { eventually, sleep, startCluster, type Cluster, type ReplicaProcess } from '../helpers/replica-process';

interface Ctx { skip?: boolean; cluster?: Cluster; up?: MockUpstream; a?: ReplicaProcess; b?: ReplicaProcess; adminA?: AdminClient; adminB?: AdminClient }
const s = suite<Ctx>('two replicas on one MySQL');

s.before(async (c) => {
  c.skip = !(await mysqlAvailable());
  if (c.skip) return;
  c.up = await startMockUpstream();
  c.cluster = await startCluster({ OPENROUTER_BASE_URL: c.up.url });
  [c.a, c.b] = await Promise.all([c.cluster.start('a'), c.cluster.start('b')]);
  c.adminA = new AdminClient(c.a.url);
  c.adminB = new AdminClient(c.b.url);
  assert.is((await c.adminA.login()).status, 200);
  assert.is((await c.adminB.login()).status, 200);
});
s.after(async (c) => {
  await c.cluster?.close();
  await c.up?.close();
});

type Key = { id: string; status: string; is_active: boolean; weight: number; total_requests: number };
async function keyOn(admin: AdminClient, id: string): Promise<Key | undefined> {
  const r = await admin.get(`/admin/key-status?limit=100`);
  assert.is(r.status, 200, r.text);
  return (r.json.keys as Key[]).find((k) => k.id === id);
}

s('a key added, re-weighted, deactivated, reactivated or deleted on one replica is seen on the other within a second', async (c) => {
  if (c.skip) return;
  const added = await c.adminA!.post('/admin/add-keys', { key_data: `${fakeKey(1)}:3` });
  assert.is(added.json.added_count, 1, added.text);
  const id = added.json.added[0].id as string;
  await eventually(async () => (await keyOn(c.adminB!, id))?.weight === 3, 1000, 'the added key on b');

  assert.is((await c.adminA!.call('PATCH', `/admin/keys/${id}`, { weight: 7 })).status, 200);
  await eventually(async () => (await keyOn(c.adminB!, id))?.weight === 7, 1000, 'the new weight on b');

  assert.is((await c.adminB!.call('PATCH', `/admin/keys/${id}`, { active: false })).status, 200);
  await eventually(async () => (await keyOn(c.adminA!, id))?.status === 'disabled', 1000, 'the deactivation on a');

  assert.is((await c.adminA!.call('PATCH', `/admin/keys/${id}`, { active: true })).status, 200);
  await eventually(async () => (await keyOn(c.adminB!, id))?.status === 'active', 1000, 'the reactivation on b');

  assert.is((await c.adminB!.call('DELETE', `/admin/delete-key/${id}`, {})).status, 200);
  await eventually(async () => (await keyOn(c.adminA!, id)) === undefined, 1000, 'the deletion on a');
});

s('a session made on one replica works on the other, and a logout on either ends it on both', async (c) => {
  if (c.skip) return;
  const onA = new AdminClient(c.a!.url);
  assert.is((await onA.login()).status, 200);
  const onB = new AdminClient(c.b!.url);
  onB.cookie = onA.cookie; // the same browser, sent to the other replica by the load balancer
  assert.is((await onB.get('/admin/key-status')).status, 200, 'the cookie made on a is valid on b');
  const kept = onA.cookie!;
  assert.is((await onB.post('/admin/logout')).status, 200);
  const stale = new AdminClient(c.a!.url);
  stale.cookie = kept; // a copy kept from before the logout
  await eventually(async () => (await stale.get('/admin/key-status')).status === 401, 1500, 'the logged-out cookie refused on a');
});

async function chat(url: string): Promise<number> {
  const r = await request(`${url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
  });
  await r.body.text();
  return r.statusCode;
}

s('a key that traffic on one replica deactivated is never sent upstream by the other', async (c) => {
  if (c.skip) return;
  const bad = fakeKey(2);
  const good = fakeKey(3);
  c.up!.behave(bad, scenarios.userNotFound());
  const added = await c.adminA!.post('/admin/add-keys', { key_data: `${bad}:50\n${good}:1` });
  assert.is(added.json.added_count, 2, added.text);
  const badId = added.json.added[0].id as string;
  await eventually(async () => (await keyOn(c.adminB!, badId)) !== undefined, 1000, 'both keys on b');

  // Traffic on a until the bad key has been tried (and deactivated: a 401 "User not found").
  for (let i = 0; i < 50 && c.up!.callsFor(bad).length === 0; i++) assert.is(await chat(c.a!.url), 200);
  assert.ok(c.up!.callsFor(bad).length > 0, 'the heavy bad key was tried on a');
  assert.is((await keyOn(c.adminA!, badId))?.status, 'inactive');

  await sleep(500); // one flush and a few polls
  const before = c.up!.callsFor(bad).length;
  for (let i = 0; i < 30; i++) assert.is(await chat(c.b!.url), 200, 'b serves with the good key');
  assert.is(c.up!.callsFor(bad).length, before, 'b never sent the deactivated key upstream');
  assert.is((await keyOn(c.adminB!, badId))?.status, 'inactive');

  // The usage counters of both replicas add up, on both: one count per request the good key served.
  const goodId = added.json.added[1].id as string;
  const served = () => c.up!.callsFor(good).length;
  await eventually(async () => (await keyOn(c.adminA!, goodId))?.total_requests === served()
    && (await keyOn(c.adminB!, goodId))?.total_requests === served(), 1000, `${served()} uses of the good key on both replicas`);
});

s('a key out of free requests on one replica is rested on the other too: no :free request goes upstream, paid ones still do', async (c) => {
  if (c.skip) return;
  c.up!.freeTier({ perWindow: 100, windowMs: 60_000, perDay: 0 }); // this account's daily free quota is spent
  const free = async (url: string) => {
    const r = await request(`${url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'deepseek/deepseek-chat-v3-0324:free', messages: [{ role: 'user', content: 'hi' }] }),
    });
    await r.body.text();
    return { status: r.statusCode, retryAfter: Number(r.headers['retry-after']) };
  };
  try {
    const onA = await free(c.a!.url);
    assert.is(onA.status, 429, 'every key a tried was out of free requests');
    const refused = c.up!.free429Count;
    assert.ok(refused >= 1);
    await eventually(async () => (await c.adminB!.get('/admin/key-status?limit=100')).json.keys
      .filter((k: { is_active: boolean; free_cool_down_until: string | null }) => k.is_active && !k.free_cool_down_until).length === 0, 1500, 'b sees every active key resting for free models');
    const onB = await free(c.b!.url);
    assert.is(onB.status, 503);
    assert.ok(onB.retryAfter > 60, `Retry-After ${onB.retryAfter} s: until the daily reset`);
    assert.is(c.up!.free429Count, refused, 'b sent nothing upstream that OpenRouter would refuse');
    assert.is(await chat(c.b!.url), 200, 'paid models still work on b');
  } finally {
    c.up!.freeTier(undefined);
  }
});

s('exactly one replica holds the lease', async (c) => {
  if (c.skip) return;
  const statuses = await Promise.all([c.adminA!, c.adminB!].map(async (admin) => (await admin.get('/admin/app-status')).json));
  const leaders = statuses.map((b) => b.database.leader as boolean);
  assert.equal(leaders.filter(Boolean).length, 1, `leaders: ${leaders}`);
  for (const b of statuses) assert.is(b.replication.leader, b.database.leader, 'the status page shows the replication state');
});

s.run();
