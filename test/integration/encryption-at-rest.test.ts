// Keys encrypted at rest with KEY_ENCRYPTION_SECRET: the raw column never holds a key, a wrong or
// missing secret stops the start with an error naming the variable, and scripts/encrypt-keys.ts
// encrypts plain keys and rotates the secret in one transaction (all or nothing), after which the
// proxy still sends the right key upstream. On SQLite, and on MySQL where it answers.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { request } from 'undici';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { encryptKeys } from '../../scripts/encrypt-keys';
import { fakeKey } from '../helpers/admin-client';
import { startMockUpstream, type MockUpstream } from '../helpers/mock-upstream';
import { mysqlAvailable } from '../helpers/mysql';
import { startServer, type TestServer } from '../helpers/server';
import { spawnServer } from '../helpers/spawn-server';

const KA = fakeKey(0xe1);
const KB = fakeKey(0xe2);
const S1 = 'first-encryption-secret-0123456789';
const S2 = 'second-encryption-secret-9876543210';
const ROOT = join(__dirname, '..', '..');

type Row = { key_id: string; secret: string; encrypted: number | boolean };
const rows = async (s: TestServer): Promise<Row[]> => s.rt.db.knex('key_secrets').select('key_id', 'secret', 'encrypted').orderBy('key_id');

/** The database settings of a server, as the script reads them from the environment. */
function dbEnv(s: TestServer): Record<string, string> {
  const c = s.config;
  return c.dbType === 'mysql'
    ? { DB_TYPE: 'mysql', MYSQL_HOST: c.mysql.host, MYSQL_PORT: String(c.mysql.port), MYSQL_USER: c.mysql.user, MYSQL_PASSWORD: c.mysql.password, MYSQL_DBNAME: c.mysql.database }
    : { DB_CONNECTION_STRING_SQLITE: c.sqlitePath };
}

/** A proxied request answers 200 and reached the upstream with one of the real keys, in full. */
async function proxiesWithRealKeys(s: TestServer, mock: MockUpstream): Promise<void> {
  mock.reset();
  for (let i = 0; i < 4; i++) {
    const r = await request(`${s.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm/x', messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.is(r.statusCode, 200, await r.body.text());
  }
  const sent = mock.received.filter((r) => r.method === 'POST').map((r) => r.key);
  assert.is(sent.length, 4);
  for (const k of sent) assert.ok(k === KA || k === KB, `upstream got ${k}`);
}

function assertNoPlainKeys(all: Row[]): void {
  assert.is(all.length, 2);
  for (const r of all) {
    assert.ok(Boolean(r.encrypted), `${r.key_id} is marked encrypted`);
    for (const k of [KA, KB]) assert.not.ok(r.secret.includes(k) || r.secret.includes(k.slice(9)), 'the raw column holds no key');
  }
}

async function refuses(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  try { await p; } catch (err) {
    assert.match((err as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected an error matching ${pattern}`);
}

function suiteFor(name: string, mysql: boolean) {
  const s0 = suite<{ mock: MockUpstream; skip: boolean }>(name);
  s0.before(async (ctx) => {
    ctx.skip = mysql && !(await mysqlAvailable());
    ctx.mock = await startMockUpstream();
  });
  s0.after(async (ctx) => { await ctx.mock.close(); });
  const t = (title: string, fn: (ctx: { mock: MockUpstream }) => Promise<void>) => s0(title, async (ctx) => { if (!ctx.skip) await fn(ctx); });

  t('with KEY_ENCRYPTION_SECRET keys are stored encrypted; a wrong or missing secret stops the start, naming it', async ({ mock }) => {
    let s = await startServer({ mysql, env: { OPENROUTER_BASE_URL: mock.url, OPENROUTER_API_KEYS: `${KA},${KB}`, KEY_ENCRYPTION_SECRET: S1 } });
    const first = s;
    try {
      assertNoPlainKeys(await rows(s));
      await proxiesWithRealKeys(s, mock);
      await s.stop();
      await refuses(s.restart({ KEY_ENCRYPTION_SECRET: 'not-the-right-secret-000' }), /KEY_ENCRYPTION_SECRET does not match/);
      await refuses(s.restart({ KEY_ENCRYPTION_SECRET: '' }), /KEY_ENCRYPTION_SECRET is not set/);
      s = await s.restart();
      await proxiesWithRealKeys(s, mock);
    } finally {
      await s.close();
      await first.close();
    }
  });

  t('the script encrypts plain keys, then rotates the secret; the proxy sends the right keys after each', async ({ mock }) => {
    let s = await startServer({ mysql, env: { OPENROUTER_BASE_URL: mock.url, OPENROUTER_API_KEYS: `${KA},${KB}` } });
    const first = s;
    try {
      const plain = await rows(s);
      assert.ok(plain.every((r) => !r.encrypted && (r.secret === KA || r.secret === KB)), 'without a secret keys are stored plain');
      await s.stop();
      const env = dbEnv(s);

      assert.equal(await encryptKeys({ env: { ...env, KEY_ENCRYPTION_SECRET: S1 }, argv: [] }), { total: 2, encrypted: 2, reencrypted: 0 });
      s = await s.restart({ KEY_ENCRYPTION_SECRET: S1 });
      assertNoPlainKeys(await rows(s));
      await proxiesWithRealKeys(s, mock);
      await s.stop();

      s = await s.restart({ KEY_ENCRYPTION_SECRET: S1 });
      const before = await rows(s);
      await s.stop();
      await refuses(encryptKeys({ env: { ...env, OLD_KEY_ENCRYPTION_SECRET: 'wrong-old-secret-00000', NEW_KEY_ENCRYPTION_SECRET: S2 }, argv: [] }), /does not open the stored keys/);
      await refuses(encryptKeys({ env: { ...env, KEY_ENCRYPTION_SECRET: S2 }, argv: [] }), /OLD_KEY_ENCRYPTION_SECRET/);

      assert.equal(await encryptKeys({ env, argv: ['--from-secret', S1, '--to-secret', S2] }), { total: 2, encrypted: 0, reencrypted: 2 });
      await refuses(s.restart({ KEY_ENCRYPTION_SECRET: S1 }), /KEY_ENCRYPTION_SECRET/);
      s = await s.restart({ KEY_ENCRYPTION_SECRET: S2 });
      const after = await rows(s);
      assertNoPlainKeys(after);
      assert.not.equal(after.map((r) => r.secret), before.map((r) => r.secret), 'sealed anew');
      await proxiesWithRealKeys(s, mock);
    } finally {
      await s.close();
      await first.close();
    }
  });

  return s0;
}

const sqlite = suiteFor('encryption at rest (SQLite)', false);

sqlite('a refused rotation changes nothing; the script refuses while the service runs on the file', async ({ mock }) => {
  const s = await startServer({ env: { OPENROUTER_BASE_URL: mock.url, OPENROUTER_API_KEYS: `${KA},${KB}`, KEY_ENCRYPTION_SECRET: S1 } });
  try {
    const before = await rows(s);
    // Another process (the running server holds the file).
    const r = spawnSync(process.execPath, ['-r', require.resolve('tsx/cjs'), join(ROOT, 'scripts', 'encrypt-keys.ts')], {
      cwd: s.config.sqlitePath.replace(/\/[^/]+$/, ''), encoding: 'utf8',
      env: { PATH: process.env.PATH, ...dbEnv(s), OLD_KEY_ENCRYPTION_SECRET: S1, NEW_KEY_ENCRYPTION_SECRET: S2 },
    });
    assert.is(r.status, 2, r.stderr);
    assert.match(r.stderr, /already served by process/);
    assert.not.match(r.stderr + r.stdout, S1);
    assert.equal(await rows(s), before);
    await s.stop();
    await refuses(encryptKeys({ env: { ...dbEnv(s), OLD_KEY_ENCRYPTION_SECRET: S2, NEW_KEY_ENCRYPTION_SECRET: S1 }, argv: [] }), /does not open/);
    const again = await s.restart();
    assert.equal(await rows(again), before, 'all or nothing: not one row changed');
    await again.close();
  } finally { await s.close(); }
});

sqlite('the real process stops at start with a wrong secret, naming KEY_ENCRYPTION_SECRET', async ({ mock }) => {
  const s = await startServer({ env: { OPENROUTER_BASE_URL: mock.url, OPENROUTER_API_KEYS: KA, KEY_ENCRYPTION_SECRET: S1 } });
  await s.stop();
  try {
    const dir = s.config.sqlitePath.replace(/\/[^/]+$/, '');
    await refuses(spawnServer({ ...dbEnv(s), KEY_ENCRYPTION_SECRET: S2 }, dir), /failed to start: KEY_ENCRYPTION_SECRET does not match/);
  } finally { await s.close(); }
});

sqlite.run();
suiteFor('encryption at rest (MySQL)', true).run();
