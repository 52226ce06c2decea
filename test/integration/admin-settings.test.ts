// Settings, app status and the audit history through the admin API.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { AdminClient, fakeKey } from '../helpers/admin-client';
import { startServer, type TestServer } from '../helpers/server';

interface Ctx { s: TestServer; c: AdminClient }

const SETTING_FIELDS = [
  'app_api_key_set', 'default_model', 'free_requests_per_day', 'free_requests_per_window', 'free_window_seconds',
  'health_check_interval_seconds', 'key_failure_cooldown_seconds',
  'key_max_consecutive_failures', 'log_level', 'request_timeout_seconds', 'retry_with_new_key_count', 'wait_for_key_ms',
];

const t = suite<Ctx>('admin settings');
t.before(async (ctx) => {
  ctx.s = await startServer({ env: { APP_API_KEY: 'env-app-key-123', LOG_LEVEL: 'info' } });
  ctx.c = new AdminClient(ctx.s.url);
  assert.is((await ctx.c.login()).status, 200);
});
t.after(async (ctx) => { await ctx.s.close(); });

t('GET /admin/settings shows every live setting and whether APP_API_KEY is set, never a secret', async ({ c }) => {
  const r = await c.get('/admin/settings');
  assert.is(r.status, 200);
  assert.equal(Object.keys(r.json).sort(), SETTING_FIELDS);
  assert.is(r.json.app_api_key_set, true);
  assert.is(r.json.request_timeout_seconds, 180);
  assert.is(r.json.default_model, 'deepseek/deepseek-chat-v3-0324:free');
  assert.not.ok(r.text.includes('env-app-key-123'));
  assert.not.ok(r.text.includes('test-admin-password'));
});

t('POST /admin/settings refuses every bad field at once, naming each, and applies nothing', async ({ c, s }) => {
  const before = s.rt.settings.all();
  const r = await c.post('/admin/settings', {
    request_timeout_seconds: 0, retry_with_new_key_count: 101, key_failure_cooldown_seconds: 'ten', log_level: 'loud',
    default_model: '', health_check_interval_seconds: 1.5, admin_password: 'short', app_api_key: 'has space', colour: 'blue',
    key_max_consecutive_failures: 4,
  });
  assert.is(r.status, 400);
  const fields = Object.keys(r.json.error.fields).sort();
  assert.equal(fields, ['admin_password', 'app_api_key', 'colour', 'default_model', 'health_check_interval_seconds', 'key_failure_cooldown_seconds', 'log_level', 'request_timeout_seconds', 'retry_with_new_key_count']);
  for (const f of fields) assert.ok(r.json.error.message.includes(f), `${f} is named in the message`);
  assert.match(r.json.error.fields.request_timeout_seconds, 'from 1 to 3600');
  assert.match(r.json.error.fields.admin_password, 'at least 8');
  assert.equal(s.rt.settings.all(), before, 'the good field was not applied either');
  const long = await c.post('/admin/settings', { default_model: 'x'.repeat(201) });
  assert.is(long.json.error.param, 'default_model');
});

t('POST /admin/settings applies at once, records one SettingsChanged, and survives a restart', async (ctx) => {
  const { c, s } = ctx;
  const r = await c.post('/admin/settings', {
    default_model: 'openai/gpt-4o-mini', request_timeout_seconds: 42, key_failure_cooldown_seconds: 30,
    key_max_consecutive_failures: 5, retry_with_new_key_count: 2, health_check_interval_seconds: 900, log_level: 'debug',
  });
  assert.is(r.status, 200, r.text);
  assert.is(r.json.default_model, 'openai/gpt-4o-mini');
  assert.is(r.json.request_timeout_seconds, 42);
  assert.is(s.rt.settings.requestTimeoutSeconds, 42);
  assert.is(s.rt.settings.policy().cooldownSeconds, 30);
  assert.is(s.app.log.level, 'debug', 'the log level applies at once');
  const ev = (await s.rt.events.page({ page: 1, limit: 1, type: 'SettingsChanged' })).events[0];
  assert.is(ev.actor, 'admin');
  assert.equal((ev.data as { changes: Record<string, unknown> }).changes, {
    default_model: 'openai/gpt-4o-mini', request_timeout_seconds: 42, key_failure_cooldown_seconds: 30,
    key_max_consecutive_failures: 5, retry_with_new_key_count: 2, health_check_interval_seconds: 900, log_level: 'debug',
  });
  const same = await c.post('/admin/settings', { request_timeout_seconds: 42 });
  assert.is(same.status, 200);
  assert.is((await s.rt.events.page({ page: 1, limit: 1, type: 'SettingsChanged' })).total, 1, 'an unchanged value records nothing');
  const digits = await c.post('/admin/settings', { request_timeout_seconds: '43' });
  assert.is(digits.json.request_timeout_seconds, 43, 'a string of digits is accepted');

  ctx.s = await s.restart();
  ctx.c = new AdminClient(ctx.s.url);
  await ctx.c.login();
  const after = (await ctx.c.get('/admin/settings')).json;
  assert.is(after.default_model, 'openai/gpt-4o-mini');
  assert.is(after.request_timeout_seconds, 43);
  assert.is(after.log_level, 'debug');
  assert.is(ctx.s.app.log.level, 'debug', 'the persisted log level applies after a restart');
  await ctx.c.post('/admin/settings', { log_level: 'info' });
  assert.is(ctx.s.app.log.level, 'info');
});

t('APP_API_KEY can be changed and cleared; only "[changed]" reaches the history', async ({ c, s }) => {
  const set = await c.post('/admin/settings', { app_api_key: 'new-client-key-456' });
  assert.is(set.status, 200);
  assert.is(set.json.app_api_key_set, true);
  assert.ok(s.rt.secretSettings.checkAppApiKey('new-client-key-456'));
  assert.not.ok(s.rt.secretSettings.checkAppApiKey('env-app-key-123'));
  const proxied = await fetch(`${s.url}/v1/models`, { headers: { authorization: 'Bearer env-app-key-123' } });
  assert.is(proxied.status, 401, 'the old key no longer opens the proxy');
  const ev = (await s.rt.events.page({ page: 1, limit: 1, type: 'SettingsChanged' })).events[0];
  assert.equal((ev.data as { changes: unknown }).changes, { app_api_key: '[changed]' });
  const cleared = await c.post('/admin/settings', { app_api_key: '' });
  assert.is(cleared.json.app_api_key_set, false);
  assert.ok(s.rt.secretSettings.checkAppApiKey(undefined));
  const history = JSON.stringify((await c.get('/admin/events?limit=100')).json);
  assert.not.ok(history.includes('new-client-key-456'));
  assert.not.ok(s.logs.join('').includes('new-client-key-456'), 'never logged');
});

t('app-status reports uptime, versions, memory, event loop, keys, requests, events and database', async ({ c, s }) => {
  await c.post('/admin/add-keys', { key_data: `${fakeKey(1)}\n${fakeKey(2)}` });
  const r = await c.get('/admin/app-status');
  assert.is(r.status, 200);
  const b = r.json;
  assert.ok(b.uptime_seconds >= 0);
  assert.is(b.versions.node, process.version);
  assert.match(b.versions.app, /^\d+\.\d+\.\d+/);
  assert.ok(b.memory.rss_bytes > 0 && b.memory.heap_used_bytes > 0);
  for (const f of ['mean', 'p50', 'p99', 'max']) assert.type(b.event_loop_delay_ms[f], 'number');
  assert.equal(b.keys, { active: 2, cooling: 0, inactive: 0, disabled: 0, total: 2 });
  assert.equal(Object.keys(b.requests).sort(), ['failures', 'tokens', 'total']);
  assert.type(b.events.since_snapshot, 'number');
  assert.type(b.events.pending, 'number');
  assert.ok('snapshot_age_seconds' in b.events && 'last_snapshot_at' in b.events);
  assert.is(b.database.type, 'sqlite');
  assert.is(b.replication, null, 'SQLite is single-process: no replication figures');
  assert.not.ok(r.text.includes(fakeKey(1)));
});

t('events pages the history newest first, filters by key and type, and names deleted keys', async ({ c }) => {
  const added = (await c.post('/admin/add-keys', { key_data: fakeKey(300, 'beef') })).json.added[0];
  await c.call('PATCH', `/admin/keys/${added.id}`, { weight: 7 });
  await c.call('DELETE', `/admin/delete-key/${added.id}`, {});
  const byKey = (await c.get(`/admin/events?key_id=${added.id}`)).json;
  assert.equal(byKey.events.map((e: { type: string }) => e.type), ['KeyDeleted', 'KeyWeightChanged', 'KeyAdded']);
  assert.is(byKey.total, 3);
  for (const e of byKey.events) {
    assert.is(e.masked, added.masked, 'a deleted key is still named');
    assert.match(e.at, /Z$/);
    assert.equal(Object.keys(e).sort(), ['actor', 'at', 'data', 'key_id', 'masked', 'seq', 'type']);
  }
  assert.ok(byKey.events[0].seq > byKey.events[1].seq);
  const logins = (await c.get('/admin/events?type=AdminLoginSucceeded&limit=1')).json;
  assert.is(logins.limit, 1);
  assert.ok(logins.total >= 1);
  assert.is(logins.total_pages, logins.total);
  assert.is(logins.events[0].type, 'AdminLoginSucceeded');
  const past = (await c.get('/admin/events?page=9999')).json;
  assert.equal(past.events, []);
  assert.ok(past.total > 0);
  for (const [q, param] of [['type=Nope', 'type'], ['limit=0', 'limit'], ['limit=101', 'limit'], ['limit=x', 'limit'], ['page=-1', 'page']]) {
    const r = await c.get(`/admin/events?${q}`);
    assert.is(r.status, 400, q);
    assert.is(r.json.error.param, param);
  }
});

t.run();
