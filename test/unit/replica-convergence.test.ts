// Several replicas on one log, simulated in memory with InnoDB's visibility rule (a smaller seq may
// appear after a larger one, or never). Whatever the interleaving of local outcomes, admin commands,
// flushes, polls, late and lost seqs, once everything is flushed and read every replica holds exactly
// the state the log gives when folded in seq order.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evolve } from '../../src/domain/evolve';
import { initialState, type PoolState } from '../../src/domain/pool-state';
import type { NewEvent } from '../../src/events/types';
import { silentLog } from '../../src/log';
import { Projection } from '../../src/projection/projection';
import { Replication, type LeaseLike } from '../../src/replica/replication';
import { ev, T0 } from '../helpers/events';
import { memorySnapshots, SharedLog } from '../helpers/shared-log';

const GAP_WAIT = 100;

function prng(seed: number): () => number {
  let x = seed >>> 0;
  return () => { x = (x + 0x6d2b79f5) >>> 0; let t = x; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}

interface Replica { name: string; projection: Projection; replication: Replication }

async function boot(log: SharedLog, name: string, now: () => number, lease: LeaseLike): Promise<Replica> {
  const projection = new Projection({
    events: log.store(name), snapshots: memorySnapshots(), flushMs: 1e9, snapshotEvery: 1e9, snapshotsKept: 3, now,
    isLeader: () => false, writesSnapshots: () => false,
  });
  await projection.load();
  const replication = new Replication({
    lease, events: log.store(name), snapshots: memorySnapshots(), projection, log: silentLog,
    pollMs: 1e9, gapWaitMs: GAP_WAIT, snapshotEvery: 1e9, snapshotsKept: 3, now,
  });
  await replication.start();
  return { name, projection, replication };
}

const noLease: LeaseLike = { held: false, start: async () => undefined, stop: async () => undefined };

/** Keys, settings, totals and names, with object keys sorted so insertion order does not matter. */
function canonical(s: PoolState): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]));
    return v;
  };
  return JSON.stringify(sort({ keys: s.keys, settings: s.settings, totals: s.totals, names: s.names }));
}

const KEYS = ['k1', 'k2', 'k3'];

async function simulate(seed: number, replicas: number, steps: number) {
  const random = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
  let clock = T0;
  const now = () => clock;
  const log = new SharedLog();
  await log.store('seed').append(KEYS.map((k) => ev.added(k)));
  const rs: Replica[] = [];
  for (let i = 0; i < replicas; i++) rs.push(await boot(log, `r${i}`, now, noLease));
  let holdSteps = 0;
  for (let step = 0; step < steps; step++) {
    clock += Math.floor(random() * 40);
    if (log.holding && --holdSteps <= 0) { log.holding = false; log.release(); }
    const r = pick(rs);
    const key = pick(KEYS);
    const x = random();
    const at = clock;
    if (x < 0.3) {
      const outcome: NewEvent[] = pick([
        [ev.used(key, 1, at)],
        [{ ...ev.failed(key, 'rate_limit', at) }, ev.cooled(key, at + 60_000, at)],
        [ev.failed(key, 'quota', at)],
        [ev.failed(key, 'credential', at, 401), ev.deactivated(key, at)],
        [ev.failed(key, 'transient', at, 502)],
      ]);
      for (const e of outcome) r.projection.record(e);
    } else if (x < 0.42) {
      const command = pick([
        (s: PoolState) => (s.keys[key] ? [ev.reactivated(key, 'admin', at)] : []),
        (s: PoolState) => (s.keys[key] ? [ev.weight(key, 1 + Math.floor(random() * 9), s.keys[key].weight, at)] : []),
        (s: PoolState) => (s.keys[key]?.active ? [ev.deactivated(key, at)] : []),
        () => [ev.settings({ default_model: `m${Math.floor(random() * 5)}` }, at)],
        (s: PoolState) => (s.keys[key] ? [ev.deleted(key, at)] : [ev.added(key, 3, at)]),
      ]);
      await r.projection.command((s) => ({ events: command(s), result: null })).catch(() => undefined);
    } else if (x < 0.65) {
      await r.projection.flush().catch(() => undefined);
    } else if (x < 0.9) {
      await r.replication.poll();
    } else if (x < 0.95 && !log.holding) {
      log.holding = true; // appends from now on stay invisible for a few steps (an open transaction)
      holdSteps = 3 + Math.floor(random() * 10);
    } else if (x < 0.97) {
      log.failNext = true; // the next append consumes seqs and fails (a rollback): a hole for good
    }
  }
  log.holding = false;
  log.failNext = false;
  log.release();
  for (const r of rs) await r.projection.flush();
  for (let round = 0; round < 2; round++) {
    clock += 60_000; // past every hole wait
    for (const r of rs) await r.replication.poll();
  }
  const expected = log.all.reduce((s, e) => evolve(s, e), initialState());
  const states = rs.map((r) => canonical(r.projection.state));
  const refolded = rs.reduce((n, r) => n + r.replication.status().refolded, 0);
  const logOrderFolds = rs.map((r) => r.replication.status().logOrderFolded);
  for (const r of rs) { await r.replication.stop(); await r.projection.stop(); }
  return { expected: canonical(expected), states, refolded, logOrderFolds, logSize: log.all.length - KEYS.length, // the seed's events were loaded, not tailed
    aboveHoles: rs.reduce((n, r) => n + r.replication.status().shownAboveHoles, 0) };
}

test('replicas that folded concurrent events in different orders converge on the log order', async () => {
  let refolded = 0;
  let late = 0;
  for (let seed = 1; seed <= Number(process.env.SIM_SEEDS ?? 30); seed++) {
    if (process.env.SIM_DEBUG) console.log("seed", seed);
    const out = await simulate(seed, 3, 300);
    out.states.forEach((s, i) => assert.is(s, out.expected, `seed ${seed}: replica r${i} differs from the log order`));
    out.logOrderFolds.forEach((n, i) => assert.is(n, out.logSize, `seed ${seed}: replica r${i} folded each event of the log once`));
    refolded += out.refolded;
    late += out.aboveHoles;
    if (process.env.SIM_DEBUG) console.log(seed, out.refolded, out.aboveHoles);
  }
  assert.ok(refolded > 0, 'replicas showed their own outcomes before the log-order state held them (otherwise it tests nothing)');
  assert.ok(late > 0, 'the simulation produced events shown while a hole below them was still open');
});

test.run();
