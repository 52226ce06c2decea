// Start-up cost of the projection over a long history: a full replay (no snapshot), from a snapshot
// taken at the end, and from that snapshot with events appended after it. Each start-up opens its own
// database connection, as a restarted process would (the OS page cache stays warm: say so when reporting).

import { parseConfig, type Config } from '../../src/config';
import { silentLog } from '../../src/log';
import { Projection } from '../../src/projection/projection';
import { closeRuntime, createRuntime } from '../../src/runtime';
import { openDatabase, type Database } from '../../src/store/database';
import { EventStore } from '../../src/store/event-store';
import { SnapshotStore } from '../../src/store/snapshot-store';
import { history } from './history';
import { median } from './stats';

export interface StartupOptions { keys: number; events: number; after: number; runs: number }

export interface LoadRun { ms: number; openMs: number; replayed: number; fromSnapshot: boolean; keys: number }

export interface StartupResult {
  store: string;
  keys: number;
  events: number;
  append: { ms: number; perSecond: number };
  full: LoadRun[];
  snapshot: LoadRun[];
  snapshotPlus: LoadRun[];
  /** createRuntime (migrations check, secrets, settings, projection) from the snapshot + `after` events. */
  runtime: number[];
  snapshotBytes: number;
  after: number;
}

export const envFor = (env: Record<string, string>): Config => parseConfig({
  LOG_LEVEL: 'silent', ADMIN_PASSWORD: 'bench-admin-password', SESSION_SECRET: 'bench-session-secret-0123456789abcdef',
  SNAPSHOT_EVERY_EVENTS: '10000000', ...env,
});

async function append(db: Database, o: { keys: number; events: number; keysExist?: boolean; seed?: number }): Promise<number> {
  const store = new EventStore(db, 'bench');
  const started = performance.now();
  for (const chunk of history(o)) await store.appendBulk(chunk);
  return performance.now() - started;
}

function projectionOn(db: Database): Projection {
  return new Projection({
    events: new EventStore(db, 'bench'), snapshots: new SnapshotStore(db), log: silentLog,
    flushMs: 250, snapshotEvery: 10_000_000, snapshotsKept: 3,
    isLeader: () => false, // never snapshot on its own: the benchmark decides when a snapshot exists
  });
}

/** One start-up: open the database (migrations check included) and load the projection. */
async function loadOnce(config: Config, keep?: (p: Projection) => Promise<void>): Promise<LoadRun> {
  const t0 = performance.now();
  const db = await openDatabase(config);
  const t1 = performance.now();
  try {
    const p = projectionOn(db);
    const r = await p.load();
    const t2 = performance.now();
    if (keep) await keep(p);
    return { ms: t2 - t0, openMs: t1 - t0, replayed: r.replayed, fromSnapshot: r.fromSnapshot, keys: Object.keys(p.state.keys).length };
  } finally {
    await db.knex.destroy();
  }
}

async function loadRuns(config: Config, runs: number, check: (r: LoadRun) => void, keepLast?: (p: Projection) => Promise<void>): Promise<LoadRun[]> {
  const out: LoadRun[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await loadOnce(config, i === runs - 1 ? keepLast : undefined);
    check(r);
    out.push(r);
  }
  return out;
}

export async function startupBench(store: string, config: Config, o: StartupOptions, say: (s: string) => void): Promise<StartupResult> {
  const db = await openDatabase(config);
  let appendMs: number;
  try {
    appendMs = await append(db, { keys: o.keys, events: o.events });
  } finally { await db.knex.destroy(); }
  say(`  ${store}: appended ${o.events} events in ${(appendMs / 1000).toFixed(1)} s`);

  const expectKeys = (r: LoadRun) => {
    if (r.keys !== o.keys) throw new Error(`loaded ${r.keys} keys, expected ${o.keys}`);
  };
  // The last full replay writes a snapshot covering the whole history, as a shutdown would.
  let snapshotBytes = 0;
  const full = await loadRuns(config, o.runs, (r) => {
    expectKeys(r);
    if (r.fromSnapshot || r.replayed !== o.events) throw new Error(`a full replay folded ${r.replayed} of ${o.events}`);
  }, async (p) => {
    await p.snapshot();
    snapshotBytes = JSON.stringify(p.state).length;
  });
  say(`  ${store}: full replay ${median(full.map((r) => r.ms)).toFixed(0)} ms (median of ${o.runs})`);
  const snapshot = await loadRuns(config, o.runs, (r) => {
    expectKeys(r);
    if (!r.fromSnapshot || r.replayed !== 0) throw new Error(`expected a start from the snapshot, replayed ${r.replayed}`);
  });
  say(`  ${store}: from snapshot ${median(snapshot.map((r) => r.ms)).toFixed(1)} ms`);

  const db2 = await openDatabase(config);
  try {
    await append(db2, { keys: o.keys, events: o.after, keysExist: true, seed: 7 });
  } finally { await db2.knex.destroy(); }
  const snapshotPlus = await loadRuns(config, o.runs, (r) => {
    expectKeys(r);
    if (!r.fromSnapshot || r.replayed !== o.after) throw new Error(`expected ${o.after} events after the snapshot, replayed ${r.replayed}`);
  });
  say(`  ${store}: from snapshot + ${o.after} events ${median(snapshotPlus.map((r) => r.ms)).toFixed(1)} ms`);

  const runtime: number[] = [];
  for (let i = 0; i < o.runs; i++) {
    const started = performance.now();
    const rt = await createRuntime(config, silentLog);
    const took = performance.now() - started;
    if (!rt.load.fromSnapshot || rt.load.replayed !== o.after) throw new Error(`createRuntime replayed ${rt.load.replayed}`);
    rt.setLeader(() => false); // no shutdown snapshot: every run starts from the same one
    await closeRuntime(rt);
    runtime.push(took);
  }
  say(`  ${store}: createRuntime from snapshot + ${o.after} events ${median(runtime).toFixed(1)} ms`);

  return { store, keys: o.keys, events: o.events, append: { ms: appendMs, perSecond: o.events / (appendMs / 1000) }, full, snapshot, snapshotPlus, runtime, snapshotBytes, after: o.after };
}
