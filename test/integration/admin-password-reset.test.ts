// A forgotten admin password has two ways back (issue 13): `npm run reset-admin-password`, and a start
// with a new ADMIN_PASSWORD value. Restarting with the same ADMIN_PASSWORD never undoes a dashboard change.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { resetAdminPassword } from '../../scripts/reset-admin-password';
import { AdminClient } from '../helpers/admin-client';
import { startServer } from '../helpers/server';

const t = suite('admin password reset');
const loginStatus = async (url: string, password: string) => (await new AdminClient(url).login(password)).status;

t('restarting with the same ADMIN_PASSWORD keeps the dashboard password; a new value replaces it and ends every session', async () => {
  let s = await startServer({ env: { ADMIN_PASSWORD: 'first-env-password' } });
  try {
    const c = new AdminClient(s.url);
    await c.login('first-env-password');
    assert.is((await c.post('/admin/settings', { admin_password: 'set-in-dashboard' })).status, 200);
    s = await s.restart();
    assert.is(await loginStatus(s.url, 'set-in-dashboard'), 200, 'the dashboard change survives a restart');
    assert.is(await loginStatus(s.url, 'first-env-password'), 401);
    const kept = new AdminClient(s.url);
    await kept.login('set-in-dashboard');
    s = await s.restart({ ADMIN_PASSWORD: 'second-env-password' });
    assert.is(await loginStatus(s.url, 'second-env-password'), 200, 'a new ADMIN_PASSWORD recovers');
    assert.is(await loginStatus(s.url, 'set-in-dashboard'), 401);
    const after = new AdminClient(s.url);
    after.cookie = kept.cookie;
    assert.is((await after.get('/admin/settings')).status, 401, 'sessions from before the reset ended');
    s = await s.restart();
    assert.is(await loginStatus(s.url, 'second-env-password'), 200, 'and the next start with it changes nothing');
  } finally { await s.close(); }
});

t('reset-admin-password sets the password (given, piped or generated), ends sessions, and a restart with ADMIN_PASSWORD keeps it', async () => {
  let s = await startServer({ env: { ADMIN_PASSWORD: 'the-env-password' } });
  try {
    const c = new AdminClient(s.url);
    await c.login('the-env-password');
    await c.post('/admin/settings', { admin_password: 'forgotten-password' });
    await s.stop();
    const env = { DB_CONNECTION_STRING_SQLITE: s.config.sqlitePath, ADMIN_PASSWORD: 'the-env-password' };
    const given = await resetAdminPassword({ env: { ...env, NEW_ADMIN_PASSWORD: 'from-the-env-var' } });
    assert.equal([given.password, given.generated, given.sessionsEnded], ['from-the-env-var', false, 1]);
    const piped = await resetAdminPassword({ env, stdin: 'from-stdin-password\n' });
    assert.equal([piped.password, piped.generated], ['from-stdin-password', false]);
    const generated = await resetAdminPassword({ env });
    assert.ok(generated.generated && generated.password.length >= 12);
    try { await resetAdminPassword({ env: { ...env, NEW_ADMIN_PASSWORD: 'short' } }); assert.unreachable(); } catch (err) { assert.match((err as Error).message, 'at least 8'); }
    s = await s.restart();
    assert.is(await loginStatus(s.url, generated.password), 200, 'the reset survives a start with the same ADMIN_PASSWORD');
    assert.is(await loginStatus(s.url, 'forgotten-password'), 401);
    const history = await s.rt.events.page({ page: 1, limit: 10, type: 'SettingsChanged' });
    assert.ok(history.events.some((e) => e.actor === 'system' && JSON.stringify(e.data).includes('admin_password')));
    assert.not.ok(JSON.stringify(history.events).includes(generated.password));
  } finally { await s.close(); }
});
t.run();
