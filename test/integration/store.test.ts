// The same store and projection suite on SQLite and on MySQL (MariaDB here).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evolve } from '../../src/domain/evolve';
import { initialState } from '../../src/domain/pool-state';
import { seededRandom } from '../../src/domain/weighted-index';
import { Projection } from '../../src/projection/projection';
import { openDatabase, type Database } from '../../src/store/database';
import { EventStore } from '../../src/store/event-store';
import { SecretCache } from '../../src/keys/secret-cache';
import { silentLog } from '../../src/log';
import { SecretStore } from '../../src/store/secret-store';
import { SnapshotStore } from '../../src/store/snapshot-store';
import { ev, randomHistory, T0 } from '../helpers/events';
import { freshMysqlDatabase, MYSQL, mysqlAvailable } from '../helpers/mysql';

/** `other`: one more connection to the same database, as another replica has (closed by cleanup). */
interface Ctx { db: Database; other: () => Promise<Database>; cleanup: () => Promise<void> }

async function openSqlite(): Promise<Ctx> {
  const dir = mkdtempSync(join(tmpdir(), 'orp-store-'));
  const open = () => openDatabase({ dbType: 'sqlite', sqlitePath: join(dir, 'k.db'), mysql: { host: '', port: 0, database: '', user: '', password: '' } });
  const db = await open();
  const others: Database[] = [];
  return {
    db, other: async () => { const d = await open(); others.push(d); return d; },
    cleanup: async () => { for (const d of [db, ...others]) await d.knex.destroy(); rmSync(dir, { recursive: true, force: true }); },
  };
}

async function openMysql(): Promise<Ctx> {
  const fresh = await freshMysqlDatabase();
  const open = () => openDatabase({ dbType: 'mysql', sqlitePath: '', mysql: { ...MYSQL, database: fresh.database } });
  const db = await open();
  const others: Database[] = [];
  return {
    db, other: async () => { const d = await open(); others.push(d); return d; },
    cleanup: async () => { for (const d of [db, ...others]) await d.knex.destroy(); await fresh.drop(); },
  };
}

function projectionOn(db: Database, snapshotEvery = 1_000_000) {
  return new Projection({
    events: new EventStore(db, 'test'), snapshots: new SnapshotStore(db),
    flushMs: 5, snapshotEvery, snapshotsKept: 2, now: () => T0, random: seededRandom(1),
  });
}

function define(name: string, open: () => Promise<Ctx>, enabled: () => Promise<boolean>) {
  const s = suite<{ ctx?: Ctx; skip?: boolean }>(name);
  s.before(async (c) => { c.skip = !(await enabled()); });
  s.before.each(async (c) => { if (!c.skip) c.ctx = await open(); });
  s.after.each(async (c) => { if (c.ctx) await c.ctx.cleanup(); c.ctx = undefined; });
  const it = (title: string, fn: (ctx: Ctx) => Promise<void>) => s(title, async (c) => { if (!c.skip) await fn(c.ctx!); });

  it('replicas storing overlapping key lists at once, each in its own order, all succeed', async ({ db, other }) => {
    // Replicas share a MySQL database. On SQLite one process has the file (and its connections, all
    // synchronous in one thread, would wait on each other's open transaction for busy_timeout).
    if (db.type !== 'mysql') return;
    const stores = [new SecretStore(db, undefined)];
    for (let i = 1; i < 4; i++) stores.push(new SecretStore(await other(), undefined));
    for (let r = 0; r < 10; r++) {
      const entries = Array.from({ length: 300 }, (_, i) => ({ id: `r${r}k${i}`, secret: `sk-secret-${r}-${i}` }));
      const results = await Promise.allSettled(stores.map((s, w) => s.putMany(w % 2 ? [...entries].reverse() : entries.slice(w * 50).concat(entries.slice(0, w * 50)), T0)));
      assert.equal(results.filter((x) => x.status === 'rejected').map((x) => ((x as PromiseRejectedResult).reason as Error).message.slice(-90)), [], `round ${r}`);
    }
    assert.is(await stores[0].get('r9k299'), 'sk-secret-9-299');
    assert.is(Number((await db.knex('key_secrets').count({ n: '*' }))[0].n), 3000);
  });

  it('appends in one transaction with increasing seqs and reads them back in order', async ({ db }) => {
    const store = new EventStore(db, 'origin-a');
    const stored = await store.append([ev.added('a', 2), ev.used('a', 3), ev.settings({ default_model: 'x/y' })]);
    assert.equal(stored.map((e) => e.seq), [1, 2, 3]);
    const back = await store.readAfter(1);
    assert.equal(back.map((d) => d.ok && [d.event.seq, d.event.type, d.event.origin]), [[2, 'KeyUsed', 'origin-a'], [3, 'SettingsChanged', 'origin-a']]);
    assert.is(await store.maxSeq(), 3);
  });

  it('pages the audit view newest first, by key and by type', async ({ db }) => {
    const store = new EventStore(db, 'o');
    await store.append([ev.added('a'), ev.added('b'), ev.used('a'), ev.used('b'), ev.failed('a', 'quota')]);
    const all = await store.page({ page: 1, limit: 2 });
    assert.is(all.total, 5);
    assert.equal(all.events.map((e) => e.seq), [5, 4]);
    const a = await store.page({ page: 1, limit: 10, keyId: 'a' });
    assert.equal(a.events.map((e) => e.type), ['KeyFailed', 'KeyUsed', 'KeyAdded']);
    const used = await store.page({ page: 2, limit: 1, type: 'KeyUsed' });
    assert.equal([used.total, used.events[0].key_id], [2, 'a']);
    const past = await store.page({ page: 9, limit: 10 });
    assert.equal([past.total, past.events.length], [5, 0]);
  });

  it('pages the history by seq: following next_before walks the same pages as page numbers, without gaps or repeats', async ({ db }) => {
    const store = new EventStore(db, 'o');
    await store.append(Array.from({ length: 23 }, (_, i) => (i % 3 === 0 ? ev.added(`k${i}`) : ev.used(`k${i - (i % 3)}`))));
    const walked: number[][] = [];
    let before: number | undefined;
    for (let page = 1; ; page++) {
      const byCursor = await store.page({ page, limit: 5, before });
      const byNumber = await store.page({ page, limit: 5 });
      assert.equal(byCursor.events.map((e) => e.seq), byNumber.events.map((e) => e.seq), `page ${page}`);
      assert.is(byCursor.total, 23);
      walked.push(byCursor.events.map((e) => e.seq));
      if (byCursor.nextBefore === null) break;
      before = byCursor.nextBefore;
    }
    assert.equal(walked.flat(), Array.from({ length: 23 }, (_, i) => 23 - i));
    const added = await store.page({ page: 2, limit: 3, type: 'KeyAdded' });
    assert.equal(added.events.map((e) => e.key_id), ['k12', 'k9', 'k6']);
  });

  it('a row that does not decode is reported, not folded', async ({ db }) => {
    await db.knex('key_events').insert({ at: T0, type: 'KeyAdded', key_id: 'a', actor: 'admin', origin: 'x', data: '{"weight":' });
    await db.knex('key_events').insert({ at: T0, type: 'Bogus', key_id: null, actor: 'admin', origin: 'x', data: '{}' });
    const p = projectionOn(db);
    const loaded = await p.load();
    assert.equal([loaded.replayed, loaded.skipped], [0, 2]);
    assert.equal(p.state.keys, {});
  });

  it('the pipeline equals events.reduce(evolve, initial)', async ({ db }) => {
    const history = randomHistory(40, 3000, seededRandom(9));
    await new EventStore(db, 'o').appendBulk(history);
    const p = projectionOn(db);
    await p.load();
    assert.equal(p.state, history.reduce(evolve, initialState()));
  });

  it('a snapshot at any split point plus the rest equals the full replay', async ({ db }) => {
    const history = randomHistory(20, 600, seededRandom(4));
    const store = new EventStore(db, 'o');
    const expected = history.reduce(evolve, initialState());
    for (const split of [1, 137, 450, 600]) {
      await db.knex('key_events').delete();
      await db.knex('snapshots').delete();
      await store.appendBulk(history.slice(0, split));
      const first = projectionOn(db);
      await first.load();
      await first.snapshot();
      await store.appendBulk(history.slice(split));
      const second = projectionOn(db);
      const loaded = await second.load();
      assert.ok(loaded.fromSnapshot, `split ${split}: loaded from the snapshot`);
      assert.is(loaded.replayed, history.length - split, `split ${split}: folds only what follows`);
      assert.equal(second.state, expected, `split ${split}`);
    }
  });

  it('many outcomes become few transactions, and nothing is lost at stop', async ({ db }) => {
    const store = new EventStore(db, 'o');
    let appends = 0;
    const counting = Object.assign(Object.create(Object.getPrototypeOf(store)), store) as EventStore;
    counting.append = async (events) => { appends++; return store.append(events); };
    const p = new Projection({ events: counting, snapshots: new SnapshotStore(db), flushMs: 50, snapshotEvery: 1e9, snapshotsKept: 2, now: () => T0 });
    await p.load();
    await p.command(() => ({ events: [ev.added('a'), ev.added('b')], result: null }));
    appends = 0;
    for (let i = 0; i < 2000; i++) p.record(ev.used(i % 2 ? 'a' : 'b', 1, T0 + i, 1));
    p.record(ev.failed('a', 'transient', T0, 503));
    await p.stop();
    assert.ok(appends <= 2, `${appends} transactions for 2001 outcomes`);
    const again = projectionOn(db);
    await again.load();
    assert.is(again.state.keys.a.totalRequests + again.state.keys.b.totalRequests, 2001);
    assert.is(again.state.totals.tokens, 2000);
    assert.equal(again.state, p.state);
  });

  it('admin commands decide on the state at their turn: concurrent adds of one key add it once', async ({ db }) => {
    const p = projectionOn(db);
    await p.load();
    const add = () => p.command((state) => state.keys.a ? { events: [], result: 'duplicate' } : { events: [ev.added('a')], result: 'added' });
    const results = (await Promise.all([add(), add(), add()])).map((r) => r.result);
    assert.equal(results.sort(), ['added', 'duplicate', 'duplicate']);
    assert.is(await new EventStore(db, 'o').maxSeq(), 1);
  });

  it('old snapshots are pruned', async ({ db }) => {
    const p = projectionOn(db);
    await p.load();
    for (let i = 0; i < 4; i++) {
      await p.command(() => ({ events: [ev.added(`k${i}`)], result: null }));
      await p.snapshot();
    }
    const rows = await db.knex('snapshots').select('seq').orderBy('id');
    assert.equal(rows.map((r) => Number(r.seq)), [3, 4]);
  });

  it('secrets are stored apart, encrypted with a key, and a wrong key is a clear error', async ({ db }) => {
    const plain = new SecretStore(db, undefined);
    await plain.verify();
    await plain.put('a', 'sk-plain-secret', T0);
    assert.is(await plain.get('a'), 'sk-plain-secret');
    await db.knex('key_secrets').delete();
    const sealed = new SecretStore(db, 'correct horse battery staple');
    await sealed.verify();
    await sealed.put('b', 'sk-sealed-secret', T0);
    const raw = await db.knex('key_secrets').where('key_id', 'b').first();
    assert.not.ok(String(raw.secret).includes('sk-sealed-secret'));
    assert.is(await sealed.get('b'), 'sk-sealed-secret');
    try { await new SecretStore(db, 'wrong').verify(); assert.unreachable(); } catch (err) { assert.match((err as Error).message, /KEY_ENCRYPTION_SECRET does not match/); }
    try { await new SecretStore(db, undefined).verify(); assert.unreachable(); } catch (err) { assert.match((err as Error).message, /KEY_ENCRYPTION_SECRET is not set/); }
  });

  it('a starting replica keeps a secret another replica has just stored for a key it is adding', async ({ db }) => {
    const secrets = new SecretStore(db, undefined);
    await secrets.verify();
    const p = projectionOn(db);
    await p.load();
    await p.command(() => ({ events: [ev.added('a')], result: null }));
    await secrets.put('a', 'sk-secret-a', T0);
    await secrets.put('gone', 'sk-secret-of-a-key-deleted-long-ago', T0);
    await secrets.put('b', 'sk-secret-b', Date.now()); // its KeyAdded is not appended yet
    await new SecretCache(secrets, silentLog, new EventStore(db, 'reader')).load(p);
    assert.is(await secrets.get('b'), 'sk-secret-b');
    assert.is(await secrets.get('gone'), null, 'an old orphan still goes');
    assert.is(await secrets.get('a'), 'sk-secret-a');
    await p.stop();
  });

  it('a damaged snapshot is ignored with a warning naming it, the log is replayed, and no secret is deleted on its strength', async ({ db }) => {
    const secrets = new SecretStore(db, undefined);
    await secrets.verify();
    const ids = Array.from({ length: 6 }, (_, i) => `k${i}`);
    await secrets.putMany(ids.map((id) => ({ id, secret: `sk-secret-${id}` })), T0);
    const events = new EventStore(db, 'writer');
    await events.append([...ids.map((id) => ev.added(id)), ev.deleted('k5')]);
    await db.knex('key_secrets').update({ created_at: T0 - 86_400_000 }); // old enough to be an orphan
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['{"keys":{}}', { seq: 7 }, /holds 0 keys where the log up to its seq has 5/],
      [JSON.stringify({ ...initialState(), everAdded: 6 }), { seq: 7 }, /holds 0 keys/],
      [JSON.stringify(initialState()), { seq: 99 }, /beyond the log's last seq 7/],
      ['{"keys":', { seq: 7 }, /unreadable/],
      [JSON.stringify(initialState()), { seq: 7, above: 'nope' }, /unreadable/],
      [JSON.stringify(initialState()), { seq: 7, version: 9 }, /version 9/],
    ];
    for (const [state, fields, reason] of cases) {
      await db.knex('snapshots').delete();
      await db.knex('snapshots').insert({ seq: 0, above: '[]', at: T0, events: 0, state, ...fields });
      const [{ id }] = await db.knex('snapshots').select('id');
      const warnings: string[] = [];
      const log = { ...silentLog, warn: (_o: unknown, msg?: string) => { warnings.push(String(msg)); } } as unknown as typeof silentLog;
      const p = new Projection({ events: new EventStore(db, 'reader'), snapshots: new SnapshotStore(db), log, flushMs: 5, snapshotEvery: 1e9, snapshotsKept: 2, now: () => T0 });
      const loaded = await p.load();
      assert.is(loaded.fromSnapshot, false, state);
      assert.is(loaded.replayed, 7, 'the whole log was replayed');
      assert.equal(Object.keys(p.state.keys).sort(), ids.slice(0, 5));
      assert.ok(warnings.some((w) => w.includes(`ignoring snapshot ${id}`) && reason.test(w)), `${warnings.join('; ')} vs ${reason}`);
      await new SecretCache(secrets, log, new EventStore(db, 'reader')).load(p);
      await p.stop();
    }
    const left = (await db.knex('key_secrets').select('key_id').orderBy('key_id')).map((r) => r.key_id);
    assert.equal(left, ids.slice(0, 5), 'only the secret of the key the log deleted went');
  });

  it('a snapshot that agrees with the log is used', async ({ db }) => {
    const p = projectionOn(db);
    await p.load();
    await p.command(() => ({ events: [ev.added('a'), ev.added('b'), ev.deleted('a')], result: null }));
    await p.snapshot();
    await p.stop();
    const again = projectionOn(db);
    const loaded = await again.load();
    assert.equal([loaded.fromSnapshot, loaded.replayed, Object.keys(again.state.keys)], [true, 0, ['b']]);
    await again.stop();
  });

  it('a starting replica never deletes the secret of a key whose KeyAdded the pool state lacks', async ({ db }) => {
    const secrets = new SecretStore(db, undefined);
    await secrets.verify();
    await secrets.put('a', 'sk-secret-a', T0 - 86_400_000);
    await new EventStore(db, 'other').append([ev.added('a')]);
    const p = projectionOn(db); // loaded before the event: its state has no key a
    await new SecretCache(secrets, silentLog, new EventStore(db, 'reader')).load(p);
    assert.is(await secrets.get('a'), 'sk-secret-a');
    await p.stop();
  });

  return s;
}

define('store on SQLite', openSqlite, async () => true).run();
define('store on MySQL', openMysql, mysqlAvailable).run();
