/**
 * The proxy against a bare relay (issue 12): the same mock upstream, the same load, in the same run.
 * The bare relay (bare-relay.ts) is a node:http server and one undici Pool doing the same
 * pass-through and nothing else, so proxy / bare is the price of everything the proxy adds.
 * Rounds alternate which target goes first; each figure is the median over the rounds.
 *
 *   npx tsx scripts/bench/relay.ts --dist        # after `npm run build`; ~2.5 minutes
 *     --rounds N (3) --seconds N (8) --connections N (64) --modes json,sse
 *     --profile: then profile the proxy and the bare relay (node --cpu-prof) under the JSON load
 *     --profile-mode json|sse (json): the load to profile under
 *     --json FILE: the raw figures; --max-seconds N (570): rounds left when time is up are skipped
 *     --quiet CORES (0.5), --quiet-wait S (30): before each round, wait up to S seconds for a second in which
 *       the machine is busy with less than CORES cores (the figure is printed with the round)
 *     --also NAME=FILE,…: also run proxies started from FILE (e.g. a copy of an older dist/src/main.js) in
 *       every round, so changes are measured before and after in the same run
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { summarise, type ProfileSummary } from './cpu-profile';
import { load as runLoad, type LoadResult } from './load';
import { cpuMs, waitForQuiet, type Service } from './procs';
import { BODIES, proxyEntry, startBareRelay, startMock, startProxy, stopProxy, type Mode, type Proxy, type Upstream } from './proxy';
import { argNumber, argValue, Deadline, fmt, load, machine, median, table } from './stats';

const say = (s: string) => console.log(s);

type Name = string; // 'bare', 'proxy', or a name given with --also
interface Target { name: Name; origin: string; svc: Service }
interface Run { round: number; mode: Mode; target: Name; load: LoadResult; relayUs: number; mockUs: number; relayCore: number }

async function startBare(upstream: string, nodeArgs: string[] = []): Promise<Target> {
  return { name: 'bare', ...(await startBareRelay(upstream, nodeArgs)) };
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

async function profile(start: (nodeArgs: string[]) => Promise<Started>, mock: Service, mode: Mode, seconds: number, connections: number): Promise<ProfileSummary> {
  const dir = mkdtempSync(join(tmpdir(), 'orp-bench-relay-prof-'));
  try {
    const { t, stop } = await start(['--cpu-prof', '--cpu-prof-dir', dir]);
    let loadMs = 0;
    let stopMs = 0;
    try {
      await measure(t, mock, mode, connections, 2, 0); // warm-up
      const started = performance.now();
      const r = await measure(t, mock, mode, connections, seconds, 0);
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

/** Rounds rotate the order of the targets, so none always runs first (or right after a warm-up). */
function rotate<T>(xs: T[], by: number): T[] { return xs.map((_, i) => xs[(i + by) % xs.length]); }

function summaryRows(runs: Run[], modes: Mode[], names: Name[]): (string | number)[][] {
  const rows: (string | number)[][] = [];
  for (const mode of modes) {
    const of = (t: Name) => runs.filter((r) => r.mode === mode && r.target === t);
    const bare = of('bare');
    for (const name of names) {
      const p = of(name);
      if (!p.length) continue;
      // A ratio per round (the two ran within seconds of each other), then the median of those.
      const ratios = p.map((x) => x.load.rps / (bare.find((b) => b.round === x.round)?.load.rps ?? NaN)).filter(Number.isFinite);
      // CPU per request against the bare relay's in the same round: steadier than req/s, which also
      // follows whatever else the two shared cores were doing.
      const cpu = p.map((x) => x.relayUs / (bare.find((b) => b.round === x.round)?.relayUs ?? NaN)).filter(Number.isFinite);
      rows.push([mode, name, fmt(median(p.map((x) => x.load.rps)), 0),
        name === 'bare' ? '1' : `**${fmt(median(ratios), 2)}×**`, name === 'bare' ? '' : ratios.map((x) => fmt(x, 2)).join(' / '),
        fmt(median(p.map((x) => x.load.p50)), 2), fmt(median(p.map((x) => x.load.p99)), 2),
        fmt(median(p.map((x) => x.relayUs)), 0), name === 'bare' ? '1' : `${fmt(median(cpu), 2)}×`, fmt(median(p.map((x) => x.mockUs)), 0),
        `${fmt(median(p.map((x) => x.relayCore)) * 100, 0)} %`, p.reduce((n, r) => n + r.load.errors + r.load.non2xx, 0)]);
    }
  }
  return rows;
}

async function main(): Promise<void> {
  const dist = process.argv.includes('--dist');
  const rounds = argNumber('rounds', 3);
  const seconds = argNumber('seconds', 8);
  const connections = argNumber('connections', 64);
  const modes = (argValue('modes') ?? 'json,sse').split(',') as Mode[];
  for (const m of modes) if (!(m in BODIES)) throw new Error(`--modes: unknown mode ${m} (json, sse)`);
  const also = (argValue('also') ?? '').split(',').filter(Boolean).map((x) => x.split('=') as [string, string]);
  const deadline = new Deadline(argNumber('max-seconds', 570));
  const loadBefore = load();
  say(`relay benchmark: ${machine()}; proxy runs as \`node ${proxyEntry(dist).join(' ')}\`${also.map(([n, f]) => `, ${n} as \`node ${f}\``).join('')}; load average ${loadBefore}`);

  const mock: Upstream = await startMock([]);
  const runs: Run[] = [];
  const skipped: string[] = [];
  let profiles: { proxy: ProfileSummary; bare: ProfileSummary } | null = null;
  const names: Name[] = ['bare', ...also.map(([n]) => n), 'proxy'];
  say(`${rounds} rounds × ${modes.join(' + ')} × (${names.join(', ')}), ${seconds} s each at ${connections} connections (autocannon)\n`);
  try {
    const proxies: Proxy[] = [];
    const targets: Target[] = [];
    try {
      targets.push(await startBare(mock.url));
      for (const [name, file] of also) {
        const b = await startProxy(mock.url, { dist, entry: [file] });
        proxies.push(b);
        targets.push({ name, origin: b.origin, svc: b.svc });
      }
      const px = await startProxy(mock.url, { dist });
      proxies.push(px);
      targets.push({ name: 'proxy', origin: px.origin, svc: px.svc });
      for (const t of targets) await checkBoth(t);
      say('warming up (3 s per target and mode, discarded)');
      for (const mode of modes) for (const t of targets) await measure(t, mock.svc, mode, connections, 3, 0);
      for (let round = 1; round <= rounds; round++) {
        if (deadline.left < modes.length * targets.length * seconds + 5) { skipped.push(`rounds ${round}–${rounds} (time budget used up)`); break; }
        const busy = await waitForQuiet(argNumber('quiet', 0.5), argNumber('quiet-wait', 30) * 1000);
        say(`  round ${round}: the machine was busy with ${fmt(busy, 2)} cores just before it`);
        for (const mode of modes) {
          const line: string[] = [];
          let bareRps = NaN;
          for (const t of rotate(targets, round - 1)) {
            const r = await measure(t, mock.svc, mode, connections, seconds, round);
            runs.push(r);
            if (t.name === 'bare') bareRps = r.load.rps;
            line.push(`${t.name} ${fmt(r.load.rps, 0)} req/s (${fmt(r.relayUs, 0)} µs CPU/req)`);
          }
          const ratios = runs.filter((r) => r.round === round && r.mode === mode && r.target !== 'bare').map((r) => `${r.target}/bare ${fmt(r.load.rps / bareRps, 2)}×`);
          say(`  round ${round} ${mode.padEnd(4)}: ${line.join(', ')}; ${ratios.join(', ')}`);
        }
      }
    } finally {
      for (const p of proxies) await stopProxy(p);
      for (const t of targets) if (t.name === 'bare') await t.svc.stop();
    }
    if (!process.argv.includes('--profile')) skipped.push('CPU profiles (not asked for: --profile)');
    else if (deadline.left < 2 * (seconds + 10)) skipped.push('CPU profiles (time budget used up)');
    else {
      const mode = (argValue('profile-mode') ?? 'json') as Mode;
      if (!(mode in BODIES)) throw new Error(`--profile-mode: unknown mode ${mode} (json, sse)`);
      say(`\nprofiling (one target at a time, ${mode} load)`);
      const p = await profile(async (nodeArgs) => {
        const px = await startProxy(mock.url, { dist, nodeArgs });
        return { t: { name: 'proxy', origin: px.origin, svc: px.svc }, stop: () => stopProxy(px) };
      }, mock.svc, mode, seconds, connections);
      const b = await profile(async (nodeArgs) => {
        const t = await startBare(mock.url, nodeArgs);
        return { t, stop: () => t.svc.stop() };
      }, mock.svc, mode, seconds, connections);
      profiles = { proxy: p, bare: b };
    }
  } finally {
    await mock.svc.stop();
  }

  const loadAfter = load();
  say(`\n## Proxy vs bare relay — ${new Date().toISOString()}\n${machine()}; load average ${loadBefore} before, ${loadAfter} after; ${connections} connections, ${seconds} s per run, median of ${rounds} rounds\n`);
  say(table(['mode', 'target', 'req/s', '/ bare', 'per round', 'p50 ms', 'p99 ms', 'CPU µs/req', 'CPU / bare', 'mock µs/req', 'CPU (share of a core)', 'errors'], summaryRows(runs, modes, names)));
  if (profiles) { printProfile('proxy', profiles.proxy); printProfile('bare relay', profiles.bare); }
  for (const s of skipped) say(`skipped: ${s}`);
  const json = argValue('json');
  if (json) writeFileSync(json, JSON.stringify({ machine: machine(), loadBefore, loadAfter, connections, seconds, rounds, runs, profiles, skipped }, null, 2));
}

if (require.main === module) {
  main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
}
