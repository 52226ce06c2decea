// A copy of the database (a backup) must not be enough to forge an admin cookie (issue 13): the
// session table holds only hashes of the session ids, and with KEY_ENCRYPTION_SECRET set the
// generated session secret is stored sealed.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { hkdfSync } from 'node:crypto';
import Fastify from 'fastify';
import secureSession from '@fastify/secure-session';
import { AdminClient } from '../helpers/admin-client';
import { startServer } from '../helpers/server';

/** What an attacker holding the backup can mint: a cookie for `sid`, sealed with the stored secret. */
async function mintCookie(secret: string, sid: string): Promise<string> {
  const app = Fastify();
  await app.register(secureSession, { key: Buffer.from(hkdfSync('sha256', secret, 'openrouter-polling', 'admin session cookie', 32)), cookieName: 'orp_admin', cookie: { path: '/admin' } });
  app.get('/mint', async (req) => { req.session.set('sid', sid); req.session.set('started', Date.now()); return 'ok'; });
  const r = await app.inject('/mint');
  await app.close();
  return String(r.headers['set-cookie']).split(';')[0];
}

const t = suite('a database backup alone cannot forge an admin session');

t('cookies minted from the stored session secret and every stored session row are refused', async () => {
  const s = await startServer();
  try {
    const c = new AdminClient(s.url);
    await c.login();
    assert.is((await c.get('/admin/settings')).status, 200);
    const secret = (await s.rt.db.knex('meta').where({ name: 'session_secret' }).first()).value as string;
    const rows = await s.rt.db.knex('admin_sessions').select('sid');
    assert.is(rows.length, 1);
    const control = new AdminClient(s.url);
    control.cookie = await mintCookie(secret, 'not-a-session');
    assert.is((await control.get('/admin/settings')).status, 401);
    for (const row of rows) {
      const forged = new AdminClient(s.url);
      forged.cookie = await mintCookie(secret, row.sid);
      assert.is((await forged.get('/admin/settings')).status, 401, 'a stored row is no session id');
    }
  } finally { await s.close(); }
});

t('with KEY_ENCRYPTION_SECRET the generated session secret is stored sealed, and sessions still survive a restart', async () => {
  let s = await startServer({ env: { KEY_ENCRYPTION_SECRET: 'a-long-key-encryption-secret-for-tests' } });
  try {
    const c = new AdminClient(s.url);
    await c.login();
    const stored = (await s.rt.db.knex('meta').where({ name: 'session_secret' }).first()).value as string;
    assert.match(stored, /^sealed:v1\./);
    s = await s.restart();
    const again = new AdminClient(s.url);
    again.cookie = c.cookie;
    assert.is((await again.get('/admin/settings')).status, 200);
  } finally { await s.close(); }
});
t.run();
