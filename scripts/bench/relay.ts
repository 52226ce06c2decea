/**
 * The proxy against a bare relay (issue 12): the same mock upstream, the same load, in the same run.
 * The bare relay (bare-relay.ts) is a node:http server and one undici Pool doing the same
 * pass-through and nothing else, so proxy / bare is the price of everything the proxy adds.
 * Rounds alternate which target goes first; each figure is the median over the rounds.
 *
 *   npx tsx scripts/bench/relay.ts --dist        # after `npm run build`; ~2.5 minutes
 *     --rounds N (3) --seconds N (8) --connections N (64) --modes json,sse
 *     --profile: then profile the proxy and the bare relay (node --cpu-prof) under the JSON load
 *     --json FILE: the raw figures; --max-seconds N (570): rounds left when time is up are skipped
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Pool } from 'undici';
import { summarise, type ProfileSummary } from './cpu-profile';
import { load as runLoad, type LoadResult } from './load';
import { cpuMs, spawnService, waitForOutput, type Service } from './procs';
import { checkServes, proxyEntry, startMock, startProxy, stopProxy, type Upstream } from './proxy';
import { STREAM_BODY } from './streams';
import { argNumber, argValue, Deadline, fmt, load, machine, median, table } from './stats';

const ROOT = resolve(__dirname, '../..');
const JSON_BODY = JSON.stringify({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'Hello, how are you?' }] });
const BODIES = { json: JSON_BODY, sse: STREAM_BODY } as const;
type Mode = keyof typeof BODIES;
const say = (s: string) => console.log(s);

interface Target { name: 'bare' | 'proxy'; origin: string; svc: Service }
interface Run { round: number; mode: Mode; target: Target['name']; load: LoadResult; relayUs: number; mockUs: number; relayCore: number }

async function startBare(upstream: string, nodeArgs: string[] = []): Promise<Target> {
  const svc = spawnService('bare relay', [...nodeArgs, '-r', 'tsx/cjs', 'scripts/bench/bare-relay.ts', '--upstream', upstream, '--key', 'k1'], {}, ROOT);
  const m = await waitForOutput(svc, /listening: (http:\/\/127\.0\.0\.1:\d+)/, 20_000);
  return { name: 'bare', origin: m[1], svc };
}

/** Both targets must give a whole answer in both modes before anything is measured. */
async function checkBoth(t: Target): Promise<void> {
  const pool = new Pool(t.origin, { connections: 1 });
  try {
    for (const mode of ['json', 'sse'] as const) {
      const r = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, body: BODIES[mode] });
      const text = await r.body.text();
      const ok = r.statusCode === 200 && (mode === 'json' ? text.includes('"choices"') : text.includes('data: [DONE]'));
      if (!ok) throw new Error(`${t.name} (${mode}) answered ${r.statusCode}: ${text.slice(0, 300)}`);
    }
  } finally { await pool.close(); }
}

async function measure(t: Target, mock: Service, mode: Mode, connections: number, seconds: number, round: number): Promise<Run> {
  const wall0 = performance.now();
  const relay0 = cpuMs(t.svc.pid);
  const mock0 = cpuMs(mock.pid);
  const r = await runLoad({ url: `${t.origin}/v1/chat/completions`, connections, seconds, headers: { 'content-type': 'application/json' }, body: BODIES[mode] });
  const wall = performance.now() - wall0;
  const per = (ms: number) => (ms * 1000) / Math.max(1, r.total);
  const relayMs = cpuMs(t.svc.pid) - relay0;
  return { round, mode, target: t.name, load: r, relayUs: per(relayMs), mockUs: per(cpuMs(mock.pid) - mock0), relayCore: relayMs / wall };
}

/** A started target and how to stop it. */
type Started = { t: Target; stop: () => Promise<unknown> };

async function profile(start: (nodeArgs: string[]) => Promise<Started>, mock: Service, seconds: number, connections: number): Promise<ProfileSummary> {
  const dir = mkdtempSync(join(tmpdir(), 'orp-bench-relay-prof-'));
  try {
    const { t, stop } = await start(['--cpu-prof', '--cpu-prof-dir', dir]);
    let loadMs = 0;
    let stopMs = 0;
    try {
      await measure(t, mock, 'json', connections, 2, 0); // warm-up
      const started = performance.now();
      const r = await measure(t, mock, 'json', connections, seconds, 0);
      loadMs = performance.now() - started;
      say(`  profiled ${t.name}: ${fmt(r.load.rps, 0)} req/s (profiling slows it), ${fmt(r.relayUs, 0)} µs CPU per request`);
    } finally {
      const stopping = performance.now();
      await stop();
      stopMs = performance.now() - stopping;
    }
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`${t.name} wrote no .cpuprofile`);
    const keep = join(tmpdir(), `orp-${t.name}-${Date.now()}.cpuprofile`);
    copyFileSync(join(dir, file), keep);
    say(`  profile kept at ${keep}`);
    return summarise(keep, 30, { endSkipMs: stopMs + 100, lengthMs: Math.max(0, loadMs - 500) });
  } finally { rmSync(dir, { recursive: true, force: true }); }
}

function printProfile(name: string, p: ProfileSummary): void {
  say(`\n${name}: ${fmt(p.totalMs, 0)} ms sampled, idle ${fmt(p.idleShare * 100, 1)} %; self time as a share of busy time:\n`);
  say(table(['share', 'function', 'where'], p.functions.slice(0, 20).map((f) => [`${fmt(f.share * 100, 1)} %`, f.name, f.where])));
  say(`\nby package: ${p.packages.slice(0, 14).map((g) => `${g.name} ${fmt(g.share * 100, 1)} %`).join(', ')}`);
}

async function main(): Promise<void> {
  const dist = process.argv.includes('--dist');
  const rounds = argNumber('rounds', 3);
  const seconds = argNumber('seconds', 8);
  const connections = argNumber('connections', 64);
  const modes = (argValue('modes') ?? 'json,sse').split(',') as Mode[];
  for (const m of modes) if (!(m in BODIES)) throw new Error(`--modes: unknown mode ${m} (json, sse)`);
  const deadline = new Deadline(argNumber('max-seconds', 570));
  const loadBefore = load();
  say(`relay benchmark: ${machine()}; proxy runs as \`node ${proxyEntry(dist).join(' ')}\`; load average ${loadBefore}`);
  say(`${rounds} rounds × ${modes.join(' + ')} × (bare, proxy), ${seconds} s each at ${connections} connections (autocannon)\n`);

  const mock: Upstream = await startMock([]);
  const runs: Run[] = [];
  const skipped: string[] = [];
  let profiles: { proxy: ProfileSummary; bare: ProfileSummary } | null = null;
  try {
    const proxy = await startProxy(mock.url, { dist });
    const bare = await startBare(mock.url);
    const proxyT: Target = { name: 'proxy', origin: proxy.origin, svc: proxy.svc };
    try {
      await checkServes(proxy.origin);
      await checkBoth(proxyT);
      await checkBoth(bare);
      say('warming up (3 s per target and mode, discarded)');
      for (const mode of modes) for (const t of [bare, proxyT]) await measure(t, mock.svc, mode, connections, 3, 0);
      for (let round = 1; round <= rounds; round++) {
        if (deadline.left < modes.length * 2 * seconds + 5) { skipped.push(`rounds ${round}–${rounds} (time budget used up)`); break; }
        for (const mode of modes) {
          const order = round % 2 ? [bare, proxyT] : [proxyT, bare];
          const pair: Run[] = [];
          for (const t of order) pair.push(await measure(t, mock.svc, mode, connections, seconds, round));
          runs.push(...pair);
          const b = pair.find((x) => x.target === 'bare')!;
          const p = pair.find((x) => x.target === 'proxy')!;
          say(`  round ${round} ${mode.padEnd(4)}: bare ${fmt(b.load.rps, 0)} req/s (${fmt(b.relayUs, 0)} µs CPU/req), proxy ${fmt(p.load.rps, 0)} req/s (${fmt(p.relayUs, 0)} µs CPU/req): ${fmt(p.load.rps / b.load.rps, 2)}×`);
        }
      }
    } finally {
      await stopProxy(proxy);
      await bare.svc.stop();
    }
    if (!process.argv.includes('--profile')) skipped.push('CPU profiles (not asked for: --profile)');
    else if (deadline.left < 2 * (seconds + 10)) skipped.push('CPU profiles (time budget used up)');
    else {
      say('\nprofiling (one target at a time, JSON load)');
      const p = await profile(async (nodeArgs) => {
        const px = await startProxy(mock.url, { dist, nodeArgs });
        return { t: { name: 'proxy', origin: px.origin, svc: px.svc }, stop: () => stopProxy(px) };
      }, mock.svc, seconds, connections);
      const b = await profile(async (nodeArgs) => {
        const t = await startBare(mock.url, nodeArgs);
        return { t, stop: () => t.svc.stop() };
      }, mock.svc, seconds, connections);
      profiles = { proxy: p, bare: b };
    }
  } finally {
    await mock.svc.stop();
  }

  const loadAfter = load();
  say(`\n## Proxy vs bare relay — ${new Date().toISOString()}\n${machine()}; load average ${loadBefore} before, ${loadAfter} after; ${connections} connections, ${seconds} s per run, median of ${rounds} rounds\n`);
  const rows: (string | number)[][] = [];
  for (const mode of modes) {
    const of = (t: Target['name']) => runs.filter((r) => r.mode === mode && r.target === t);
    const b = of('bare');
    const p = of('proxy');
    if (!b.length || !p.length) continue;
    const ratios = b.map((x) => x.load.rps).map((rps, i) => (p[i] ? p[i].load.rps / rps : NaN)).filter(Number.isFinite);
    const errors = [...b, ...p].reduce((n, r) => n + r.load.errors + r.load.non2xx, 0);
    rows.push([mode, fmt(median(b.map((x) => x.load.rps)), 0), fmt(median(p.map((x) => x.load.rps)), 0),
      `**${fmt(median(ratios), 2)}×**`, ratios.map((x) => fmt(x, 2)).join(' / '),
      `${fmt(median(b.map((x) => x.load.p50)), 2)} / ${fmt(median(p.map((x) => x.load.p50)), 2)}`,
      `${fmt(median(b.map((x) => x.relayUs)), 0)} / ${fmt(median(p.map((x) => x.relayUs)), 0)}`,
      `${fmt(median([...b, ...p].map((x) => x.mockUs)), 0)}`,
      `${fmt(median(b.map((x) => x.relayCore)) * 100, 0)} % / ${fmt(median(p.map((x) => x.relayCore)) * 100, 0)} %`, errors]);
  }
  say(table(['mode', 'bare req/s', 'proxy req/s', 'proxy / bare', 'per round', 'p50 ms bare / proxy', 'CPU µs/req bare / proxy', 'mock µs/req', 'relay CPU (share of a core) bare / proxy', 'errors'], rows));
  if (profiles) { printProfile('proxy', profiles.proxy); printProfile('bare relay', profiles.bare); }
  for (const s of skipped) say(`skipped: ${s}`);
  const json = argValue('json');
  if (json) writeFileSync(json, JSON.stringify({ machine: machine(), loadBefore, loadAfter, connections, seconds, rounds, runs, profiles, skipped }, null, 2));
}

if (require.main === module) {
  main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
}
