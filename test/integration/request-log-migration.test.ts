// Migration 006 on a request log that already holds attempts (SQLite and MySQL): every tried key is
// kept, the per-key minutes are filled from them (the key table's figures do not restart at zero),
// request_keys' time index is gone, and on SQLite request_keys is a WITHOUT ROWID table. Down and up
// again leave the same rows, and so does a second run after one that stopped half-way (MySQL).

import knexFactory, { type Knex } from 'knex';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrationSource } from '../../migrations';
import { freshMysqlDatabase, MYSQL, mysqlAvailable } from '../helpers/mysql';

const T0 = Date.UTC(2026, 11, 1, 10, 0, 0);
const MIGRATE = { migrationSource, tableName: 'knex_migrations' };

// 3 keys, attempts 20 s apart over 10 minutes, outcomes by turn.
const ATTEMPTS = Array.from({ length: 30 }, (_, i) => ({
  request_id: i + 1, key_id: `k${i % 3}`, at: T0 + i * 20_000, outcome: i % 5 === 0 ? 'transient' : 'ok',
}));

function expectedMinutes(): string[] {
  const m = new Map<string, number>();
  for (const a of ATTEMPTS) {
    const k = `${a.at - (a.at % 60_000)} ${a.key_id} ${a.outcome}`;
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return [...m].map(([k, n]) => `${k} ${n}`).sort();
}

async function minutes(k: Knex): Promise<string[]> {
  const rows = (await k('request_key_minutes').select('minute', 'key_id', 'outcome', 'n')) as Record<string, unknown>[];
  return rows.map((r) => `${Number(r.minute)} ${r.key_id} ${r.outcome} ${Number(r.n)}`).sort();
}

async function attempts(k: Knex): Promise<string[]> {
  const rows = (await k('request_keys').select('request_id', 'key_id', 'at', 'outcome')) as Record<string, unknown>[];
  return rows.map((r) => `${Number(r.request_id)} ${r.key_id} ${Number(r.at)} ${r.outcome}`).sort();
}

for (const dialect of ['sqlite', 'mysql'] as const) {
  const t = suite<{ k: Knex; cleanup: () => Promise<void> }>(`request log migration 006 (${dialect})`);
  let skip = false;
  t.before(async (ctx) => {
    if (dialect === 'mysql') {
      if (!(await mysqlAvailable())) { skip = true; return; }
      const fresh = await freshMysqlDatabase();
      ctx.k = knexFactory({ client: 'mysql2', connection: { ...MYSQL, database: fresh.database }, pool: { min: 0, max: 1 } });
      ctx.cleanup = async () => { await ctx.k.destroy(); await fresh.drop(); };
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'orp-mig-'));
      ctx.k = knexFactory({ client: 'better-sqlite3', connection: { filename: join(dir, 'k.db') }, useNullAsDefault: true });
      ctx.cleanup = async () => { await ctx.k.destroy(); rmSync(dir, { recursive: true, force: true }); };
    }
    for (let i = 0; i < 5; i++) await ctx.k.migrate.up(MIGRATE); // 001 … 005: the schema before this change
    await ctx.k('request_keys').insert(ATTEMPTS);
  });
  t.after(async (ctx) => { if (!skip) await ctx.cleanup(); });

  t('the attempts stay, the per-key minutes are filled from them, the time index goes', async ({ k }) => {
    if (skip) return;
    const before = await attempts(k);
    await k.migrate.latest(MIGRATE);
    assert.equal(await attempts(k), before);
    assert.equal(await minutes(k), expectedMinutes());
    if (dialect === 'sqlite') {
      const sql = (await k.raw("SELECT sql FROM sqlite_master WHERE name = 'request_keys'"))[0].sql as string;
      assert.match(sql, /WITHOUT ROWID/);
      const indexes = ((await k.raw("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'request_keys' AND sql IS NOT NULL")) as { name: string }[]).map((r) => r.name);
      assert.equal(indexes, ['request_keys_request']);
    } else {
      const indexes = ((await k.raw('SHOW INDEX FROM request_keys'))[0] as { Key_name: string }[]).map((r) => r.Key_name);
      assert.not.ok(indexes.includes('request_keys_at'), indexes.join(', '));
      assert.ok(indexes.includes('request_keys_request'));
    }
  });

  t('down and up again: the same attempts, the same minutes', async ({ k }) => {
    if (skip) return;
    const before = await attempts(k);
    await k.migrate.down(MIGRATE);
    assert.equal(await attempts(k), before);
    assert.not.ok(await k.schema.hasTable('request_key_minutes'));
    await k.migrate.latest(MIGRATE);
    assert.equal(await attempts(k), before);
    assert.equal(await minutes(k), expectedMinutes());
  });

  t('a start that stopped half-way through it runs it again to the same end', async ({ k }) => {
    if (skip) return;
    const before = await attempts(k);
    await k.migrate.down(MIGRATE);
    // What MySQL keeps of a stopped run (each DDL statement commits on its own): the new table, part of
    // its rows, and the time index already gone.
    await k.schema.createTable('request_key_minutes', (t) => {
      t.bigInteger('minute').notNullable(); t.string('key_id', 32).notNullable(); t.string('outcome', 16).notNullable();
      t.integer('n').notNullable(); t.primary(['minute', 'key_id', 'outcome']);
    });
    await k('request_key_minutes').insert({ minute: T0, key_id: 'k0', outcome: 'ok', n: 99 });
    if (dialect === 'mysql') await k.raw('ALTER TABLE request_keys DROP INDEX request_keys_at');
    await k.migrate.latest(MIGRATE);
    assert.equal(await attempts(k), before);
    assert.equal(await minutes(k), expectedMinutes());
  });

  t.run();
}
