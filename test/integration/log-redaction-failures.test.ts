// Every secret a run uses stays out of its logs, at the most verbose level, while the failure paths
// run: upstream 401/402/429/500 whose bodies echo the key (and a Bearer header), a key of another
// shape echoed the same way, wrong APP_API_KEYs, a wrong admin password, keys added and APP_API_KEY
// and the admin password changed through the admin API, a metrics scrape with its token.

import { request } from 'undici';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AdminClient, fakeKey } from '../helpers/admin-client';
import { scenarios, startMockUpstream } from '../helpers/mock-upstream';
import { startServer } from '../helpers/server';

const K401 = fakeKey(0x401);
const K402 = fakeKey(0x402);
const K429 = fakeKey(0x429);
const K500 = fakeKey(0x500);
const KOK = fakeKey(0x200);
const ODD = 'custom-upstream-token-7f3a9c2e1b'; // a key not shaped like OpenRouter's
const ADDED = fakeKey(0xadd);
const ADDED_ODD = 'another-odd-upstream-token-5e6f7a8b';
const APP_API_KEY = 'app-api-key-env-5d8e2f1a9c';
const NEW_APP_API_KEY = 'app-api-key-new-9b1c4e7d2a';
const ADMIN_PASSWORD = 'admin-pass-3c9f1e8b7d';
const NEW_ADMIN_PASSWORD = 'admin-pass-new-6a2b8c4d0e';
const WRONG_PASSWORD = 'wrong-pass-guess-0a1b2c';
const WRONG_CLIENT_TOKEN = 'client-wrong-token-66aa77bb';
const SESSION_SECRET = 'session-secret-for-the-redaction-test-0123456789';
const KEY_ENCRYPTION_SECRET = 'key-encryption-secret-redaction-0123';
const METRICS_TOKEN = 'metrics-token-redaction-0123';

const echo = (status: number, key: string, extra = '') => scenarios.status(status, {
  error: { code: status, message: `Invalid credentials for key ${key}${extra}`, metadata: { raw: `Authorization: Bearer ${key}` } },
});

test('no secret used in a run of failure scenarios reaches the logs', async () => {
  const mock = await startMockUpstream();
  const s = await startServer({
    env: {
      OPENROUTER_BASE_URL: mock.url, LOG_LEVEL: 'trace', RETRY_WITH_NEW_KEY_COUNT: '10',
      OPENROUTER_API_KEYS: [K401, K402, K429, K500, ODD, KOK].join(','),
      APP_API_KEY, ADMIN_PASSWORD, SESSION_SECRET, KEY_ENCRYPTION_SECRET, METRICS_TOKEN,
    },
  });
  try {
    mock.behave(K401, echo(401, K401));
    mock.behave(K402, echo(402, K402, ' has no credits'));
    mock.behave(K429, { ...echo(429, K429), headers: { 'Retry-After': '1' } });
    mock.behave(K500, echo(500, K500, `; also ${ODD}`));
    mock.behave(ODD, echo(503, ODD));
    mock.behave(KOK, scenarios.ok());
    const chat = async (token: string, stream = false) => {
      const r = await request(`${s.url}/v1/chat/completions`, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ model: 'm/x', stream, messages: [{ role: 'user', content: `my key is ${K401}` }] }),
      });
      return { status: r.statusCode, text: await r.body.text() };
    };

    for (let i = 0; i < 6; i++) assert.is((await chat(APP_API_KEY, i % 2 === 1)).status, 200, 'fails over to the good key');
    assert.is((await chat(WRONG_CLIENT_TOKEN)).status, 401);
    assert.is(mock.callsFor(K401).length + mock.callsFor(K402).length + mock.callsFor(K429).length > 0, true, 'failing keys were tried');

    const admin = new AdminClient(s.url);
    assert.is((await admin.login(WRONG_PASSWORD)).status, 401);
    assert.is((await admin.login(ADMIN_PASSWORD)).status, 200);
    assert.is((await admin.post('/admin/add-keys', { key_data: `${ADDED}:3\n${ADDED_ODD}` })).json.added_count, 2);
    mock.behave(ADDED_ODD, echo(500, ADDED_ODD));
    mock.behave(ADDED, echo(401, ADDED));
    assert.is((await admin.post('/admin/settings', { app_api_key: NEW_APP_API_KEY, log_level: 'trace' })).status, 200);
    for (let i = 0; i < 3; i++) assert.is((await chat(NEW_APP_API_KEY)).status, 200);
    assert.is((await chat(APP_API_KEY)).status, 401, 'the old APP_API_KEY no longer works');
    assert.is((await admin.post('/admin/settings', { admin_password: NEW_ADMIN_PASSWORD })).status, 200);
    const metrics = await request(`${s.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    assert.is(metrics.statusCode, 200);
    await metrics.body.text();
    await s.stop(); // a graceful stop writes the last batch (and logs it) before the logs are read

    const logs = s.logs.join('');
    assert.ok(s.logs.length > 10, 'the run logged');
    assert.match(logs, 'upstream attempt failed', 'the failures were logged');
    assert.match(logs, 'admin login failed');
    const secrets = {
      K401, K402, K429, K500, KOK, ODD, ADDED, ADDED_ODD, APP_API_KEY, NEW_APP_API_KEY, ADMIN_PASSWORD, NEW_ADMIN_PASSWORD,
      WRONG_PASSWORD, WRONG_CLIENT_TOKEN, SESSION_SECRET, KEY_ENCRYPTION_SECRET, METRICS_TOKEN,
    };
    for (const [name, secret] of Object.entries(secrets)) {
      const at = logs.indexOf(secret);
      assert.ok(at < 0, `${name} is in the logs: …${logs.slice(Math.max(0, at - 200), at + 80)}…`);
      // The key's 64 hex without the prefix would be as bad.
      if (secret.startsWith('sk-or-v1-')) assert.not.ok(logs.includes(secret.slice(9)), `${name}'s hex is in the logs`);
    }
  } finally {
    await s.close();
    await mock.close();
  }
});

test.run();
