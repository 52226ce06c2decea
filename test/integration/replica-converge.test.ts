// Three replicas (real processes) hammered at once by requests that fail and succeed on the same keys,
// while an admin reactivates keys through all of them: each replica folds its own outcomes first and
// the others' later, in different orders; once the outcomes are flushed and read, every replica shows
// the same key table, and it is the one a fresh replay of the log in seq order gives.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'undici';
import { evolve } from '../../src/domain/evolve';
import { initialState } from '../../src/domain/pool-state';
import { keyRow } from '../../src/projection/key-table';
import { openDatabase } from '../../src/store/database';
import { EventStore } from '../../src/store/event-store';
import { AdminClient, fakeKey } from '../helpers/admin-client';
import { scenarios, startMockUpstream, type MockUpstream, type Scenario } from '../helpers/mock-upstream';
import { MYSQL, mysqlAvailable } from '../helpers/mysql';
import { eventually, startCluster, type Cluster } from '../helpers/replica-process';

interface Ctx { skip?: boolean; cluster?: Cluster; up?: MockUpstream; admins: AdminClient[] }
const s = suite<Ctx>('concurrent failures across replicas', { admins: [] });

s.before(async (c) => {
  c.skip = !(await mysqlAvailable());
  if (c.skip) return;
  c.up = await startMockUpstream();
  c.cluster = await startCluster({ OPENROUTER_BASE_URL: c.up.url, KEY_FAILURE_COOLDOWN_SECONDS: '600', LOG_LEVEL: 'debug' });
  // All three at once on an empty database: the schema is created once, whoever comes first.
  await Promise.all([c.cluster.start('r1'), c.cluster.start('r2'), c.cluster.start('r3')]);
  for (const r of c.cluster.replicas) {
    const a = new AdminClient(r.url);
    assert.is((await a.login()).status, 200);
    c.admins.push(a);
  }
});
s.after(async (c) => {
  await c.cluster?.close();
  await c.up?.close();
});

function mixed(seed: number, length: number): Scenario[] {
  const kinds = [scenarios.ok(), scenarios.ok(), scenarios.keyRateLimited(), scenarios.noCredits(), scenarios.userNotFound(), scenarios.serverError()];
  let x = seed;
  return Array.from({ length }, () => kinds[(x = (x * 48271) % 2147483647) % kinds.length]).concat([scenarios.ok()]);
}

async function chat(url: string): Promise<void> {
  const r = await request(`${url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }),
  });
  await r.body.text();
}

s('after the flushes and one poll every replica shows the same key table, the log order\'s', async (c) => {
  if (c.skip) return;
  const secrets = Array.from({ length: 6 }, (_, i) => fakeKey(0x500 + i));
  secrets.forEach((k, i) => c.up!.behave(k, mixed(i + 11, 60)));
  const added = await c.admins[0].post('/admin/add-keys', { key_data: secrets.join('\n') });
  assert.is(added.json.added_count, 6, added.text);
  const ids = added.json.added.map((k: { id: string }) => k.id) as string[];
  await eventually(async () => {
    for (const a of c.admins) if ((await a.get('/admin/key-status')).json.total_keys !== 6) return false;
    return true;
  }, 5000, 'the keys on every replica'); // the tailers poll: a busy CI machine may take a while

  const replicas = c.cluster!.replicas;
  const traffic = replicas.flatMap((r) => Array.from({ length: 4 }, async () => { for (let i = 0; i < 15; i++) await chat(r.url); }));
  const admin = (async () => {
    for (let i = 0; i < 12; i++) {
      const a = c.admins[i % 3];
      await a.call('PATCH', `/admin/keys/${ids[i % ids.length]}`, { active: true });
    }
  })();
  await Promise.all([...traffic, admin]);

  // The folded key state; next_probe_at and the request-log health are each process's own by design.
  const table = async (a: AdminClient) => JSON.stringify((await a.get('/admin/key-status?limit=100')).json.keys
    .map(({ next_probe_at: _n, success_rate: _s, requests_24h: _r, ...k }: Record<string, unknown>) => k)
    .sort((x: Record<string, unknown>, y: Record<string, unknown>) => String(x.id).localeCompare(String(y.id))));
  let tables: string[] = [];
  let fetched = [0, 0]; // when the last tables were read: a cooldown may end in between
  await eventually(async () => {
    const t0 = Date.now();
    tables = await Promise.all(c.admins.map(table));
    fetched = [t0, Date.now()];
    return tables.every((t) => t === tables[0]);
  }, 5000, 'the same key table on the three replicas');

  const db = await openDatabase({ dbType: 'mysql', sqlitePath: '', mysql: { ...MYSQL, database: c.cluster!.database } });
  try {
    const rows = await new EventStore(db, 'check').readAfter(0, 1e6);
    const replayed = rows.reduce((st, d) => (d.ok ? evolve(st, d.event) : st), initialState());
    // The replay's rows at the moments the tables were read: a key whose cooldown ended in between
    // shows either (status and cooldown fields are relative to now), never anything else.
    const rowsAt = (now: number) => Object.values(replayed.keys).map((k) => keyRow(k, now)).sort((x, y) => x.id.localeCompare(y.id))
      .map(({ next_probe_at: _n, success_rate: _s, requests_24h: _r, ...k }) => k);
    const [early, late] = fetched.map(rowsAt);
    const got = JSON.parse(tables[0]) as unknown[];
    assert.is(got.length, early.length, 'as many keys as the replay');
    got.forEach((row, i) => {
      try { assert.equal(row, early[i]); } catch { assert.equal(row, late[i], 'the replicas agree with a replay of the log in seq order'); }
    });
  } finally {
    await db.knex.destroy();
  }
  const corrections = replicas.flatMap((r) => r.logs()).filter((l) => l.msg === 'set keys folded out of log order to their log-order state').length;
  console.log(`  (${corrections} corrections of out-of-order folds across the replicas)`);
});

s.run();
