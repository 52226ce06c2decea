// SIGKILL while proxy requests and admin changes run, twice over: after each restart every admin
// change that was answered 200 is there, and the restarted projection (snapshot + tail) equals a
// fresh replay of the whole log.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory from 'knex';
import { request } from 'undici';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evolve } from '../../src/domain/evolve';
import { keyId } from '../../src/domain/key-lines';
import { initialState, type PoolState } from '../../src/domain/pool-state';
import { EventStore } from '../../src/store/event-store';
import { AdminClient, fakeKey } from '../helpers/admin-client';
import { startMockUpstream } from '../helpers/mock-upstream';
import { spawnServer, type ServerProcess } from '../helpers/spawn-server';

interface Expected { weight: number; active: boolean; deleted: boolean }

/** What the admin was told: only changes answered 200 enter it; a change in flight at the kill marks its key unsure. */
class Acknowledged {
  keys = new Map<string, Expected>();
  defaultModel: string | null = null;
  unsure = new Set<string>();
  unsureModel: string | null = null;
}

async function replay(file: string): Promise<PoolState> {
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
  try {
    const store = new EventStore({ knex, type: 'sqlite', describe: file }, 'test');
    let state = initialState();
    for (let after = 0; ;) {
      const rows = await store.readAfter(after, 1000);
      if (rows.length === 0) break;
      for (const d of rows) {
        after = d.ok ? d.event.seq : d.seq;
        if (d.ok) state = evolve(state, d.event);
      }
    }
    return state;
  } finally { await knex.destroy(); }
}

test('SIGKILL during load loses no acknowledged admin change, and the restarted projection equals a replay of the log', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'orp-crash-'));
  const file = join(dir, 'keys.db');
  const mock = await startMockUpstream();
  const seed = [1, 2, 3, 4, 5].map((n) => fakeKey(n));
  const env = {
    OPENROUTER_BASE_URL: mock.url, OPENROUTER_API_KEYS: seed.join(','), DB_CONNECTION_STRING_SQLITE: file,
    SNAPSHOT_EVERY_EVENTS: '7', EVENT_FLUSH_MS: '15',
  };
  const ack = new Acknowledged();
  for (const k of seed) ack.keys.set(keyId(k), { weight: 1, active: true, deleted: false });
  let proc: ServerProcess | null = null;
  let nextKey = 100;
  try {
    for (let round = 0; round < 2; round++) {
      proc = await spawnServer(env, dir);
      await check(proc, ack, file, round > 0);
      const admin = new AdminClient(proc.url);
      assert.is((await admin.login()).status, 200);

      let killed = false;
      const url = proc.url;
      const workers = Array.from({ length: 4 }, async () => {
        while (!killed) {
          try {
            const r = await request(`${url}/v1/chat/completions`, {
              method: 'POST', headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ model: 'm/x', messages: [{ role: 'user', content: 'hi' }] }),
            });
            await r.body.text();
          } catch { /* the server was killed */ }
        }
      });

      for (let i = 0; i < 40; i++) {
        const live = [...ack.keys].filter(([, e]) => !e.deleted).map(([id]) => id);
        const target = live[(i * 7 + round) % live.length];
        const last = i === 39;
        const op = pickOp(i, target, nextKey);
        if (op.kind === 'add') nextKey++;
        const sent = admin.call(op.method, op.path, op.body);
        if (last) {
          // Kill while this change (and proxy requests) are in flight.
          if (op.kind === 'settings') ack.unsureModel = op.model; else ack.unsure.add(op.id);
          proc.child.kill('SIGKILL');
          killed = true;
          await sent.catch(() => undefined);
          break;
        }
        const r = await sent;
        assert.is(r.status, 200, `${op.method} ${op.path}: ${r.text}`);
        apply(ack, op);
      }
      killed = true;
      await proc.exited;
      await Promise.all(workers);
    }
    proc = await spawnServer(env, dir);
    await check(proc, ack, file, true);
  } finally {
    await proc?.kill();
    await mock.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

type Op =
  | { kind: 'add'; id: string; method: 'POST'; path: string; body: unknown }
  | { kind: 'weight'; id: string; weight: number; method: 'PATCH'; path: string; body: unknown }
  | { kind: 'active'; id: string; active: boolean; method: 'PATCH'; path: string; body: unknown }
  | { kind: 'delete'; id: string; method: 'DELETE'; path: string; body: unknown }
  | { kind: 'settings'; id: string; model: string; method: 'POST'; path: string; body: unknown };

function pickOp(i: number, target: string, n: number): Op {
  switch (i % 5) {
    case 0: case 3: {
      const secret = fakeKey(n);
      return { kind: 'add', id: keyId(secret), method: 'POST', path: '/admin/add-keys', body: { key_data: `${secret}:${(n % 9) + 1}` } };
    }
    case 1: {
      const weight = (i % 50) + 2;
      return { kind: 'weight', id: target, weight, method: 'PATCH', path: `/admin/keys/${target}`, body: { weight } };
    }
    case 2: {
      const active = i % 2 === 0;
      return { kind: 'active', id: target, active, method: 'PATCH', path: `/admin/keys/${target}`, body: { active } };
    }
    default:
      if (i % 10 === 4) return { kind: 'delete', id: target, method: 'DELETE', path: `/admin/delete-key/${target}`, body: {} };
      return { kind: 'settings', id: '', model: `vendor/model-${i}`, method: 'POST', path: '/admin/settings', body: { default_model: `vendor/model-${i}` } };
  }
}

function apply(ack: Acknowledged, op: Op): void {
  const e = ack.keys.get(op.id);
  switch (op.kind) {
    case 'add': {
      const weight = Number(String((op.body as { key_data: string }).key_data).split(':')[1]);
      ack.keys.set(op.id, { weight, active: true, deleted: false });
      return;
    }
    case 'weight': if (e) e.weight = op.weight; return;
    case 'active': if (e) e.active = op.active; return;
    case 'delete': if (e) e.deleted = true; return;
    case 'settings': ack.defaultModel = op.model; return;
  }
}

async function check(proc: ServerProcess, ack: Acknowledged, file: string, afterCrash: boolean): Promise<void> {
  if (afterCrash) {
    const loaded = proc.logs().find((l) => l.msg === 'key state loaded');
    assert.is(loaded?.fromSnapshot, true, 'the restart loaded a snapshot and folded the tail');
  }
  const admin = new AdminClient(proc.url);
  assert.is((await admin.login()).status, 200);
  const table = await admin.get('/admin/key-status?limit=100');
  assert.is(table.status, 200);
  assert.ok(table.json.total_keys <= 100, 'one page holds them all');
  const rows = new Map<string, Record<string, unknown>>(table.json.keys.map((k: { id: string }) => [k.id, k]));
  for (const [id, e] of ack.keys) {
    if (ack.unsure.has(id)) continue;
    const row = rows.get(id);
    if (e.deleted) { assert.not.ok(row, `key ${id} was deleted (answered 200)`); continue; }
    assert.ok(row, `key ${id} was added (answered 200) and is missing`);
    assert.is(row!.weight, e.weight, `weight of ${id}`);
    assert.is(row!.is_active, e.active, `is_active of ${id}`);
  }
  const settings = await admin.get('/admin/settings');
  if (ack.defaultModel !== null) {
    const allowed = [ack.defaultModel, ack.unsureModel].filter((m) => m !== null);
    assert.ok(allowed.includes(settings.json.default_model), `default_model ${settings.json.default_model}, expected ${allowed.join(' or ')}`);
  }
  // Whatever the in-flight change did, the log now decides: take it as the truth for the next round.
  const state = await replay(file);
  for (const id of ack.unsure) {
    const k = state.keys[id];
    ack.keys.set(id, k ? { weight: k.weight, active: k.active, deleted: false } : { weight: 1, active: true, deleted: true });
  }
  ack.unsure.clear();
  if (ack.unsureModel !== null) ack.defaultModel = String(state.settings.default_model ?? ack.defaultModel);
  ack.unsureModel = null;

  assert.equal([...rows.keys()].sort(), Object.keys(state.keys).sort(), 'the same keys as a replay of the log');
  for (const [id, row] of rows) {
    const k = state.keys[id];
    assert.equal(
      [row.weight, row.is_active, row.total_requests, row.total_failures, row.consecutive_failures, row.last_error],
      [k.weight, k.active, k.totalRequests, k.totalFailures, k.consecutiveFailures, k.lastError],
      `key ${id} as the restarted server folded it vs a replay of the log`,
    );
  }
  assert.is(settings.json.default_model, state.settings.default_model ?? settings.json.default_model);
  if (afterCrash) assert.ok(Object.values(state.keys).some((k) => k.totalRequests > 0), 'proxy usage reached the log before the kill');
}

test.run();
