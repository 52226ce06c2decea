import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'undici';
import { startServer } from '../helpers/server';

const K1 = 'sk-or-v1-' + '1'.repeat(64);
const K2 = 'sk-or-v1-' + '2'.repeat(64);

test('the first start seeds OPENROUTER_API_KEYS; later starts ignore it and keep the keys', async () => {
  const server = await startServer({ env: { OPENROUTER_API_KEYS: `${K1}:3,${K2}` } });
  try {
    const keys = () => Object.values(server.rt.projection.state.keys).map((k) => [k.masked, k.weight]).sort();
    assert.equal(keys(), [['sk-or-v1-11…1111', 3], ['sk-or-v1-22…2222', 1]]);
    const restarted = await server.restart({ OPENROUTER_API_KEYS: 'sk-or-v1-' + '3'.repeat(64) });
    const after = Object.values(restarted.rt.projection.state.keys).map((k) => [k.masked, k.weight]).sort();
    assert.equal(after, [['sk-or-v1-11…1111', 3], ['sk-or-v1-22…2222', 1]]);
    assert.is(restarted.rt.secrets.get(Object.keys(restarted.rt.projection.state.keys)[0])?.startsWith('sk-or-v1-'), true);
    await restarted.close();
  } finally {
    await server.close();
  }
});

test('a restart loads the snapshot and gives the same state', async () => {
  const server = await startServer({ env: { OPENROUTER_API_KEYS: `${K1},${K2}:2` } });
  const id = Object.keys(server.rt.projection.state.keys)[0];
  for (let i = 0; i < 50; i++) server.rt.projection.record({ type: 'KeyUsed', at: Date.now(), key_id: id, actor: 'proxy', data: { count: 1, prompt_tokens: 1, completion_tokens: 2, total_tokens: 3, last_used_at: Date.now() } });
  await server.rt.commands.setWeight(id, 9, 'admin');
  const before = JSON.parse(JSON.stringify(server.rt.projection.state));
  const restarted = await server.restart();
  try {
    assert.ok(restarted.rt.load.fromSnapshot, 'graceful stop wrote a snapshot');
    assert.is(restarted.rt.load.replayed, 0);
    assert.equal(restarted.rt.projection.state, before);
    assert.is(restarted.rt.projection.state.keys[id].totalRequests, 50);
  } finally {
    await restarted.close();
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
    assert.ok(server.rt.secretSettings.checkAdminPassword(pw!));
    assert.not.ok(server.rt.secretSettings.checkAdminPassword('123456'));
    const rows = await server.rt.db.knex('meta').select('value');
    assert.not.ok(rows.some((r) => String(r.value).includes(pw!)));
    const restarted = await server.restart();
    assert.is(restarted.rt.generatedPassword, null, 'not generated again');
    assert.ok(restarted.rt.secretSettings.checkAdminPassword(pw!));
    await restarted.close();
  } finally {
    await server.close();
  }
});

test.run();
