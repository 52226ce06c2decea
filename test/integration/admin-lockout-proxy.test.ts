// The login lockout behind a reverse proxy, replaying the attacks of issue 13: a client that writes
// its own X-Forwarded-For entries in front of the one the proxy appends must neither escape the
// lockout, nor be recorded under a made-up address, nor lock someone else out; many addresses
// together still hit the overall ceiling.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { AdminClient, ADMIN_PASSWORD } from '../helpers/admin-client';
import { startServer, type TestServer } from '../helpers/server';

const failedFrom = async (s: TestServer) =>
  (await s.rt.events.page({ page: 1, limit: 100, type: 'AdminLoginFailed' })).events.map((e) => (e.data as { client: string }).client);

/** What nginx sends on: whatever the client wrote, then the address nginx saw. */
const viaProxy = (written: string, real: string) => ({ 'x-forwarded-for': `${written}, ${real}` });

const t = suite<{ s: TestServer }>('login lockout behind one trusted proxy (TRUST_PROXY=true)');
t.before(async (ctx) => { ctx.s = await startServer({ env: { TRUST_PROXY: 'true', LOGIN_MAX_FAILURES: '5', LOGIN_LOCKOUT_SECONDS: '300' } }); });
t.after(async (ctx) => { await ctx.s.close(); });

t('twelve wrong passwords, each behind a new spoofed entry, are locked out after five, all five answered "wrong password"', async ({ s }) => {
  const c = new AdminClient(s.url);
  const statuses: number[] = [];
  const messages: string[] = [];
  for (let i = 0; i < 12; i++) {
    const r = await c.post('/admin/login', { password: `wrong-password-${i}` }, viaProxy(`203.0.113.${i}`, '198.51.100.9'));
    statuses.push(r.status);
    messages.push(r.json.error.message);
  }
  assert.equal(statuses, [401, 401, 401, 401, 401, 429, 429, 429, 429, 429, 429, 429]);
  assert.equal(messages.slice(0, 5), Array(5).fill('wrong password'), 'the user sees all five messages');
  assert.match(messages[5], 'too many failed logins from this address');
  const right = await c.post('/admin/login', { password: ADMIN_PASSWORD }, viaProxy('203.0.113.77', '198.51.100.9'));
  assert.is(right.status, 429, 'a fresh spoofed entry does not escape the lockout');
  assert.equal([...new Set(await failedFrom(s))], ['198.51.100.9'], 'the audit records the real client, never a written one');
});

t("five tries written as someone else's address lock out the writer, not them", async ({ s }) => {
  const c = new AdminClient(s.url);
  for (let i = 0; i < 5; i++) await c.post('/admin/login', { password: 'wrong-password-x' }, viaProxy('198.51.100.50', '198.51.100.66'));
  const victim = await new AdminClient(s.url).post('/admin/login', { password: ADMIN_PASSWORD }, { 'x-forwarded-for': '198.51.100.50' });
  assert.is(victim.status, 200);
});
t.run();

const hops = suite('TRUST_PROXY as hops, as addresses, and the overall ceiling');

hops('a number trusts that many hops: the client is that far from the right', async () => {
  const s = await startServer({ env: { TRUST_PROXY: '2' } });
  try {
    await new AdminClient(s.url).post('/admin/login', { password: 'wrong-password-1' }, { 'x-forwarded-for': '203.0.113.1, 198.51.100.20, 10.0.0.2' });
    assert.equal(await failedFrom(s), ['198.51.100.20']);
  } finally { await s.close(); }
});

hops('a list trusts only those proxy addresses: entries they did not add are not believed further left', async () => {
  const s = await startServer({ env: { TRUST_PROXY: '127.0.0.1, 10.0.0.0/8' } });
  try {
    await new AdminClient(s.url).post('/admin/login', { password: 'wrong-password-1' }, { 'x-forwarded-for': '203.0.113.1, 198.51.100.21, 10.1.2.3' });
    assert.equal(await failedFrom(s), ['198.51.100.21']);
  } finally { await s.close(); }
});

hops('without TRUST_PROXY the socket address counts and X-Forwarded-For is ignored', async () => {
  const s = await startServer({ env: { TRUST_PROXY: 'false' } });
  try {
    await new AdminClient(s.url).post('/admin/login', { password: 'wrong-password-1' }, { 'x-forwarded-for': '203.0.113.1' });
    assert.equal(await failedFrom(s), ['127.0.0.1']);
  } finally { await s.close(); }
});

hops('failures from many addresses together reach LOGIN_MAX_FAILURES_TOTAL and then every login waits', async () => {
  const s = await startServer({ env: { TRUST_PROXY: 'true', LOGIN_MAX_FAILURES: '5', LOGIN_MAX_FAILURES_TOTAL: '8' } });
  try {
    const c = new AdminClient(s.url);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await c.post('/admin/login', { password: 'wrong-password-1' }, { 'x-forwarded-for': `203.0.113.${i}` })).status);
    assert.equal(statuses, Array(8).fill(401), 'each address failed once; the eighth failure is still answered as such');
    const next = await c.post('/admin/login', { password: ADMIN_PASSWORD }, { 'x-forwarded-for': '198.51.100.99' });
    assert.is(next.status, 429);
    assert.match(next.json.error.message, 'from many addresses');
    assert.ok(Number(next.headers['retry-after']) > 0);
  } finally { await s.close(); }
});
hops.run();
