// Admin sessions, login, lockout, CSRF and the dashboard's pages, against a real server.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { AdminClient, ADMIN_PASSWORD, fakeKey } from '../helpers/admin-client';
import { mysqlAvailable } from '../helpers/mysql';
import { startServer, type TestServer } from '../helpers/server';

const API_ROUTES: Array<[string, string]> = [
  ['GET', '/admin/key-status'], ['POST', '/admin/add-keys'], ['DELETE', '/admin/delete-key/abcd'],
  ['POST', '/admin/delete-keys-batch'], ['PATCH', '/admin/keys/abcd'], ['POST', '/admin/keys/abcd/check'],
  ['GET', '/admin/app-status'], ['GET', '/admin/settings'], ['POST', '/admin/settings'], ['GET', '/admin/events'],
];
const PAGES = ['/admin/dashboard', '/admin/settings-page', '/admin/status-page', '/admin/history-page'];

const types = async (s: TestServer) => (await s.rt.events.page({ page: 1, limit: 100 })).events.map((e) => e.type);

const t = suite<{ s: TestServer }>('admin auth');
t.before(async (ctx) => { ctx.s = await startServer({ env: { LOGIN_MAX_FAILURES: '3', LOGIN_LOCKOUT_SECONDS: '120', TRUST_PROXY: 'true' } }); });
t.after(async (ctx) => { await ctx.s.close(); });

t('without a session every API route answers 401 and every page redirects to the login page', async ({ s }) => {
  const c = new AdminClient(s.url);
  for (const [method, path] of API_ROUTES) {
    const r = await c.call(method as 'GET', path, method === 'GET' ? undefined : {});
    assert.is(r.status, 401, `${method} ${path}`);
    assert.is(r.json.error.code, 'unauthorized');
  }
  for (const page of PAGES) {
    const r = await c.get(page);
    assert.is(r.status, 302, page);
    assert.is(r.headers.location, '/admin/login');
  }
  const login = await c.get('/admin/login');
  assert.is(login.status, 200);
  assert.match(String(login.headers['content-type']), 'text/html');
  assert.is(login.headers['cache-control'], 'no-cache');
  assert.match(String(login.headers['content-security-policy']), "script-src 'self'");
  const root = await c.get('/');
  assert.is(root.headers.location, '/admin/login');
});

t('the dashboard assets are served with a year of immutable caching; unknown names are 404', async ({ s }) => {
  const c = new AdminClient(s.url);
  const html = (await c.get('/admin/login')).text;
  const assets = [...html.matchAll(/\/admin\/assets\/[^"]+/g)].map((m) => m[0]);
  assert.ok(assets.length >= 2, 'index.html names its script and stylesheet');
  for (const path of assets) {
    const r = await c.get(path);
    assert.is(r.status, 200, path);
    assert.is(r.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.match(String(r.headers['content-type']), path.endsWith('.js') ? 'javascript' : 'text/css');
  }
  for (const bad of ['/admin/assets/nope.js', '/admin/assets/index.html', '/admin/assets/manifest.json', '/admin/assets/..%2Fpackage.json']) {
    assert.is((await c.get(bad)).status, 404, bad);
  }
});

t('login: a missing password is a 400 naming it; a wrong one is 401 and recorded without the password', async ({ s }) => {
  const c = new AdminClient(s.url);
  const missing = await c.post('/admin/login', {}, { 'x-forwarded-for': '10.0.0.1' });
  assert.is(missing.status, 400);
  assert.is(missing.json.error.param, 'password');
  assert.match(missing.json.error.message, 'password');
  const wrong = await c.post('/admin/login', { password: 'not-the-password-xyz' }, { 'x-forwarded-for': '10.0.0.1' });
  assert.is(wrong.status, 401);
  assert.is(wrong.json.error.message, 'wrong password');
  assert.is(c.cookie, null);
  const page = await s.rt.events.page({ page: 1, limit: 5, type: 'AdminLoginFailed' });
  assert.equal(page.events[0].data, { client: '10.0.0.1' });
  assert.not.ok(s.logs.join('').includes('not-the-password-xyz'), 'the tried password is never logged');
});

t('login sets an HttpOnly, SameSite=Strict cookie on /admin, Secure only over HTTPS', async ({ s }) => {
  const plain = await new AdminClient(s.url).post('/admin/login', { password: ADMIN_PASSWORD });
  assert.is(plain.status, 200);
  assert.equal(plain.json, { message: 'logged in' });
  const cookie = String(plain.headers['set-cookie']);
  assert.match(cookie, /^orp_admin=/);
  for (const attr of ['HttpOnly', 'SameSite=Strict', 'Path=/admin', `Max-Age=${24 * 3600}`]) assert.ok(cookie.includes(attr), `${attr} in ${cookie}`);
  assert.not.ok(/;\s*Secure/i.test(cookie), 'no Secure flag over plain http');
  const https = await new AdminClient(s.url).post('/admin/login', { password: ADMIN_PASSWORD }, { 'x-forwarded-proto': 'https' });
  assert.match(String(https.headers['set-cookie']), /;\s*Secure/i);
  assert.ok((await types(s)).includes('AdminLoginSucceeded'));
});

t('repeated failures from one address lock it out with 429 and Retry-After; other addresses still log in', async ({ s }) => {
  const c = new AdminClient(s.url);
  const from = { 'x-forwarded-for': '192.0.2.7' };
  assert.is((await c.post('/admin/login', { password: 'wrong-1-xxxxxx' }, from)).status, 401);
  assert.is((await c.post('/admin/login', { password: 'wrong-2-xxxxxx' }, from)).status, 401);
  const third = await c.post('/admin/login', { password: 'wrong-3-xxxxxx' }, from);
  assert.is(third.status, 401, 'the failure that reaches the limit is still answered as a wrong password');
  assert.is(third.json.error.message, 'wrong password');
  assert.is(third.json.error.retry_after, 120);
  const fourth = await c.post('/admin/login', { password: 'wrong-4-xxxxxx' }, from);
  assert.is(fourth.status, 429);
  assert.is(fourth.headers['retry-after'], '120');
  assert.is(fourth.json.error.code, 'too_many_attempts');
  const right = await c.post('/admin/login', { password: ADMIN_PASSWORD }, from);
  assert.is(right.status, 429, 'even the right password waits out the lockout');
  assert.ok(Number(right.headers['retry-after']) > 0 && Number(right.headers['retry-after']) <= 120);
  assert.is(c.cookie, null);
  const other = await c.post('/admin/login', { password: ADMIN_PASSWORD }, { 'x-forwarded-for': '192.0.2.8' });
  assert.is(other.status, 200);
});

t('logout makes the cookie useless, even a copy kept from before', async ({ s }) => {
  const c = new AdminClient(s.url);
  await c.login();
  assert.is((await c.get('/admin/settings')).status, 200);
  assert.is((await c.get('/admin/dashboard')).status, 200);
  const kept = c.cookie;
  const out = await c.post('/admin/logout');
  assert.is(out.status, 200);
  assert.equal(out.json, { message: 'logged out' });
  assert.is(c.cookie, null, 'the answer clears the cookie');
  c.cookie = kept; // replay the old cookie
  assert.is((await c.get('/admin/settings')).status, 401);
  assert.is((await c.get('/admin/dashboard')).status, 302);
  assert.is((await c.post('/admin/add-keys', { key_data: fakeKey(9) })).status, 401);
  const other = new AdminClient(s.url); // another admin, logged in, sees that nothing was added
  assert.is((await other.login()).status, 200);
  assert.equal(await other.keys(), []);
  assert.ok((await types(s)).includes('AdminLoggedOut'));
});

t('logging in again ends the session the browser had, so logout leaves no older cookie working', async ({ s }) => {
  const c = new AdminClient(s.url);
  await c.login();
  const first = c.cookie;
  assert.is((await c.login()).status, 200);
  assert.is.not(c.cookie, first, 'a new cookie');
  assert.is((await c.post('/admin/logout')).status, 200);
  c.cookie = first; // a copy kept from before the second login
  assert.is((await c.get('/admin/settings')).status, 401);
});

t('a session ends after the idle time, is renewed by activity, and ends after the absolute limit anyway', async ({ s }) => {
  const c = new AdminClient(s.url);
  await c.login();
  const realNow = Date.now;
  const at = (minutes: number) => { const base = realNow(); Date.now = () => base + minutes * 60_000; };
  try {
    const idle = new AdminClient(s.url);
    idle.cookie = c.cookie;
    at(61); // SESSION_IDLE_MINUTES is 60
    assert.is((await idle.get('/admin/settings')).status, 401, 'idle too long');
    at(50);
    assert.is((await c.get('/admin/settings')).status, 200);
    at(100); // 50 minutes after the last use
    assert.is((await c.get('/admin/settings')).status, 200, 'activity renews the idle limit');
    for (let m = 150; m < 24 * 60; m += 50) { at(m); assert.is((await c.get('/admin/settings')).status, 200, `${m} min`); }
    at(24 * 60 + 1); // SESSION_MAX_HOURS is 24
    assert.is((await c.get('/admin/settings')).status, 401, 'the absolute limit holds whatever the activity');
  } finally { Date.now = realNow; }
});

t('a tampered or foreign cookie is no session', async ({ s }) => {
  const c = new AdminClient(s.url);
  await c.login();
  const cookie = c.cookie!;
  c.cookie = cookie.slice(0, -6) + (cookie.endsWith('A') ? 'B' : 'A') + cookie.slice(-5);
  assert.is((await c.get('/admin/settings')).status, 401);
  c.cookie = 'orp_admin=garbage';
  assert.is((await c.get('/admin/settings')).status, 401);
});

t('CSRF: a cross-site form post is refused and changes nothing', async ({ s }) => {
  const c = new AdminClient(s.url);
  await c.login();
  const form = await c.call('POST', '/admin/add-keys', `key_data=${fakeKey(1)}`, {
    'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example', 'sec-fetch-site': 'cross-site',
  });
  assert.is(form.status, 403);
  assert.is(form.json.error.code, 'forbidden');
  const foreign = await c.post('/admin/add-keys', { key_data: fakeKey(1) }, { origin: 'https://evil.example' });
  assert.is(foreign.status, 403, 'a foreign Origin is refused even with JSON');
  const site = await c.post('/admin/add-keys', { key_data: fakeKey(1) }, { 'sec-fetch-site': 'cross-site' });
  assert.is(site.status, 403, 'Sec-Fetch-Site: cross-site is refused');
  const nullOrigin = await c.post('/admin/add-keys', { key_data: fakeKey(1) }, { origin: 'null' });
  assert.is(nullOrigin.status, 403);
  const text = await c.call('POST', '/admin/add-keys', JSON.stringify({ key_data: fakeKey(1) }), { 'content-type': 'text/plain' });
  assert.is(text.status, 415, 'a simple (no-preflight) content type is refused');
  assert.match(text.json.error.message, 'application/json');
  const crossDelete = await c.call('DELETE', '/admin/delete-key/abcd', undefined, { origin: 'https://evil.example' });
  assert.is(crossDelete.status, 403, 'a DELETE without a content type is still checked for its origin');
  const deleteWithBody = await c.call('DELETE', '/admin/delete-key/abcd', 'x', { 'content-type': 'text/plain' });
  assert.is(deleteWithBody.status, 415, 'a DELETE that sends a body must send it as JSON');
  const logout = await c.call('POST', '/admin/logout');
  assert.is(logout.status, 415);
  assert.is((await c.get('/admin/settings')).status, 200, 'a refused logout leaves the session open');
  assert.equal(await c.keys(), [], 'nothing was added');
  const same = await c.post('/admin/add-keys', { key_data: fakeKey(1) }, { origin: s.url, 'sec-fetch-site': 'same-origin' });
  assert.is(same.status, 200, 'the dashboard itself (same origin) is accepted');
  const loginForm = await new AdminClient(s.url).call('POST', '/admin/login', `password=${ADMIN_PASSWORD}`, { 'content-type': 'application/x-www-form-urlencoded' });
  assert.is(loginForm.status, 415, 'login too');
});

t('bodiless commands accept the JSON content type with an empty body; DELETE works with no content type at all', async ({ s }) => {
  const c = new AdminClient(s.url);
  await c.login();
  const add = await c.post('/admin/add-keys', { key_data: `${fakeKey(77)}\n${fakeKey(78)}` });
  const [id, other] = add.json.added.map((k: { id: string }) => k.id);
  const del = await c.call('DELETE', `/admin/delete-key/${id}`, '', { 'content-type': 'application/json' });
  assert.is(del.status, 200);
  const bare = await c.call('DELETE', `/admin/delete-key/${other}`); // as the original dashboard and curl -X DELETE send it
  assert.is(bare.status, 200, bare.text);
  assert.equal([await c.key(id), await c.key(other)], [undefined, undefined], 'both deleted');
  const out = await c.call('POST', '/admin/logout', '', { 'content-type': 'application/json' });
  assert.is(out.status, 200);
});

t('bad JSON is a 400, and prototype keys are dropped', async ({ s }) => {
  const c = new AdminClient(s.url);
  await c.login();
  const bad = await c.call('POST', '/admin/add-keys', '{"key_data": ', { 'content-type': 'application/json' });
  assert.is(bad.status, 400);
  assert.is(bad.json.error.code, 'invalid_json');
  const proto = await c.call('POST', '/admin/settings', '{"__proto__": {"polluted": 1}}', { 'content-type': 'application/json' });
  assert.is(proto.status, 200);
  assert.is(({} as Record<string, unknown>).polluted, undefined);
});

t('sessions survive a restart (the generated session secret is kept in the database)', async (ctx) => {
  const c = new AdminClient(ctx.s.url);
  await c.login();
  ctx.s = await ctx.s.restart();
  const again = new AdminClient(ctx.s.url);
  again.cookie = c.cookie;
  assert.is((await again.get('/admin/settings')).status, 200);
});

t('a new admin password ends every other session and the old password stops working', async () => {
  const s = await startServer();
  try {
    const a = new AdminClient(s.url);
    const b = new AdminClient(s.url);
    await a.login();
    await b.login();
    const change = await a.post('/admin/settings', { admin_password: 'a-brand-new-password' });
    assert.is(change.status, 200);
    assert.not.ok(JSON.stringify(change.json).includes('a-brand-new-password'));
    assert.is((await a.get('/admin/settings')).status, 200, 'the session that changed it stays');
    assert.is((await b.get('/admin/settings')).status, 401, 'the other one ends');
    assert.is((await new AdminClient(s.url).login()).status, 401);
    assert.is((await new AdminClient(s.url).login('a-brand-new-password')).status, 200);
    assert.not.ok(s.logs.join('').includes('a-brand-new-password'));
  } finally { await s.close(); }
});

t.run();

// Replicas share sessions through MySQL: a login on one works on the other; a logout on one is
// honoured by the other within a second.
const r = suite('admin sessions across replicas');
r('logout on one replica ends the session on the other', async () => {
  if (!(await mysqlAvailable())) { console.log('  skipped: MySQL not available'); return; }
  const a = await startServer({ mysql: true });
  const b = await startServer({ env: { DB_TYPE: 'mysql', MYSQL_DBNAME: a.config.mysql.database, MYSQL_HOST: a.config.mysql.host, MYSQL_PORT: String(a.config.mysql.port), MYSQL_USER: a.config.mysql.user, MYSQL_PASSWORD: a.config.mysql.password } });
  try {
    const onA = new AdminClient(a.url);
    await onA.login();
    const onB = new AdminClient(b.url);
    onB.cookie = onA.cookie;
    assert.is((await onB.get('/admin/settings')).status, 200, 'the other replica knows the session');
    assert.is((await onA.post('/admin/logout')).status, 200);
    await new Promise((ok) => setTimeout(ok, 1000));
    assert.is((await onB.get('/admin/settings')).status, 401, 'and honours the logout');
  } finally {
    await b.stop();
    await a.close();
  }
});
r.run();
