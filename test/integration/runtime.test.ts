import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'undici';
import type { KeyRow } from '../../src/projection/key-table';
import { AdminClient } from '../helpers/admin-client';
import { startMockUpstream } from '../helpers/mock-upstream';
import { chat } from '../helpers/proxy-client';
import { startServer, type TestServer } from '../helpers/server';

const K1 = 'sk-or-v1-' + '1'.repeat(64);
const K2 = 'sk-or-v1-' + '2'.repeat(64);

/** An admin's session on `server`. */
async function admin(server: TestServer): Promise<AdminClient> {
  const c = new AdminClient(server.url);
  assert.is((await c.login()).status, 200);
  return c;
}

test('the first start seeds OPENROUTER_API_KEYS; later starts ignore it and keep the keys', async () => {
  const up = await startMockUpstream();
  const server = await startServer({ env: { OPENROUTER_API_KEYS: `${K1}:3,${K2}`, OPENROUTER_BASE_URL: up.url } });
  try {
    const keys = async (s: TestServer) => (await (await admin(s)).keys()).map((k) => [k.masked, k.weight]).sort();
    assert.equal(await keys(server), [['sk-or-v1-11…1111', 3], ['sk-or-v1-22…2222', 1]]);
    const restarted = await server.restart({ OPENROUTER_API_KEYS: 'sk-or-v1-' + '3'.repeat(64) });
    assert.equal(await keys(restarted), [['sk-or-v1-11…1111', 3], ['sk-or-v1-22…2222', 1]]);
    // The secrets came back too: the restarted proxy serves with the seeded keys.
    assert.is((await chat(restarted.url)).status, 200);
    assert.equal(up.received.filter((r) => r.method === 'POST').map((r) => [K1, K2].includes(r.key ?? '')), [true]);
    await restarted.close();
  } finally {
    await server.close();
    await up.close();
  }
});

test('a restart loads the snapshot and gives the same state', async () => {
  const up = await startMockUpstream();
  const server = await startServer({ env: { OPENROUTER_API_KEYS: `${K1},${K2}:2`, OPENROUTER_BASE_URL: up.url } });
  const c = await admin(server);
  for (let i = 0; i < 50; i++) assert.is((await chat(server.url)).status, 200);
  const [k] = await c.keys();
  assert.is((await c.patch(`/admin/keys/${k.id}`, { weight: 9 })).status, 200);
  // success_rate and requests_24h come from the request log (written in batches, read through a
  // short cache), not from the folded state: compared apart, after the restart.
  const folded = (keys: KeyRow[]) => keys.map(({ success_rate: _s, requests_24h: _r, ...k }) => k);
  const rows = folded(await c.keys());
  assert.is(rows.reduce((n, r) => n + r.total_requests, 0), 50);
  // The whole folded state (totals, names, settings… more than any route shows) must survive the
  // snapshot as it was: compared inside the runtime, as no public view holds all of it.
  const before = JSON.parse(JSON.stringify(server.rt.projection.state));
  const restarted = await server.restart();
  try {
    const startup = (await (await admin(restarted)).get('/admin/app-status')).json.startup;
    assert.ok(startup.from_snapshot, 'graceful stop wrote a snapshot');
    assert.is(startup.replayed_events, 0);
    assert.equal(restarted.rt.projection.state, before);
    const after = await (await admin(restarted)).keys();
    assert.equal(folded(after), rows, 'the admin sees the same keys');
    assert.is(after.reduce((n, r) => n + r.requests_24h, 0), 50, 'and the request log kept every request');
  } finally {
    await restarted.close();
    await up.close();
  }
});

test('healthz and readyz answer; an unknown route gets the error shape', async () => {
  const server = await startServer();
  try {
    const health = await request(`${server.url}/healthz`);
    assert.equal([health.statusCode, await health.body.json()], [200, { status: 'ok' }]);
    const ready = await request(`${server.url}/readyz`);
    assert.is(ready.statusCode, 200);
    await ready.body.dump();
    const missing = await request(`${server.url}/nope`);
    assert.is(missing.statusCode, 404);
    assert.equal(await missing.body.json(), { error: { message: 'no route for GET /nope', type: 'not_found_error', code: 'not_found' } });
  } finally {
    await server.close();
  }
});

test('without ADMIN_PASSWORD a password is generated once, and only its hash is stored', async () => {
  const server = await startServer({ env: { ADMIN_PASSWORD: '' } });
  try {
    const pw = server.rt.generatedPassword;
    assert.ok(pw && pw.length >= 12);
    const c = new AdminClient(server.url);
    assert.is((await c.login('123456')).status, 401);
    assert.is((await c.login(pw!)).status, 200);
    const rows = await server.rt.db.knex('meta').select('value');
    assert.not.ok(rows.some((r) => String(r.value).includes(pw!)));
    const restarted = await server.restart();
    assert.is(restarted.rt.generatedPassword, null, 'not generated again');
    assert.is((await new AdminClient(restarted.url).login(pw!)).status, 200);
    await restarted.close();
  } finally {
    await server.close();
  }
});

test.run();
