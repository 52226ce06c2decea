/**
 * Where a target's CPU per request goes, by the code that owns it: each CPU-profile sample is charged
 * to the innermost function of src/ on its stack (so `res.end()` called from the SSE relay counts for
 * the relay, and undici's work under the attempt for the attempt); samples with no src/ frame are
 * charged to their package ([undici], [node:internal], [writev], ...). Only samples taken while the load
 * ran count, divided by the requests served. Compare the proxy with the bare relay (`--target bare`).
 *
 *   npm run build && npx tsx scripts/bench/cost-by-owner.ts [--mode json|sse] [--target proxy|bare]
 *     [--seconds N (6)] [--top N (40)] [--entry FILE: another proxy build]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load as runLoad } from './load';
import { BODIES, startBareRelay, startMock, startProxy, stopProxy, type Mode } from './proxy';
import { argNumber, argValue, fmt, machine } from './stats';


interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: Node[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

function owner(n: Node): string {
  const cf = n.callFrame;
  return `${cf.functionName || '(anonymous)'} ${cf.url.replace(/.*\/dist\/src\//, '')}:${cf.lineNumber + 1}`;
}

function packageOf(leaf: Node): string {
  const u = leaf.callFrame.url;
  if (u.includes('node_modules/')) return `[${u.split('node_modules/')[1].split('/')[0]}]`;
  if (u.startsWith('node:')) return `[node:${u.slice(5).split('/')[0]}]`;
  return `[${leaf.callFrame.functionName}]`;
}

async function main(): Promise<void> {
  const mode = (argValue('mode') ?? 'sse') as Mode;
  const target = argValue('target') ?? 'proxy';
  const seconds = argNumber('seconds', 6);
  const entry = argValue('entry');
  const dir = mkdtempSync(join(tmpdir(), 'orp-bench-owner-'));
  const nodeArgs = ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '200'];
  const mock = await startMock([]);
  try {
    let origin: string;
    let stop: () => Promise<unknown>;
    if (target === 'bare') {
      const b = await startBareRelay(mock.url, nodeArgs);
      origin = b.origin;
      stop = () => b.svc.stop();
    } else {
      const px = await startProxy(mock.url, { dist: true, nodeArgs, ...(entry ? { entry: [entry] } : {}) });
      origin = px.origin;
      stop = () => stopProxy(px);
    }
    const opts = { url: `${origin}/v1/chat/completions`, connections: 64, headers: { 'content-type': 'application/json' }, body: BODIES[mode] };
    await runLoad({ ...opts, seconds: 2 }); // warm-up
    const t0 = performance.now();
    const r = await runLoad({ ...opts, seconds });
    const t1 = performance.now();
    await stop(); // a normal exit writes the profile
    const t2 = performance.now();

    const p = JSON.parse(readFileSync(join(dir, readdirSync(dir)[0]), 'utf8')) as Profile;
    const byId = new Map<number, Node>();
    const parent = new Map<number, number>();
    for (const n of p.nodes) { byId.set(n.id, n); for (const c of n.children ?? []) parent.set(c, n.id); }
    // The load's window, from the profile's end: the stop took t2 - t1, the load t1 - t0 (its first 0.5 s left out).
    const to = p.endTime - (t2 - t1 + 100) * 1000;
    const from = to - (t1 - t0 - 500) * 1000;
    const cost = new Map<string, number>();
    const self = new Map<string, number>(); // by the sampled function itself, for the second table
    let busy = 0;
    let at = p.startTime;
    for (let i = 0; i < p.samples.length; i++) {
      const dt = p.timeDeltas[i] ?? 0;
      at += dt;
      if (at < from || at > to) continue;
      const leaf = byId.get(p.samples[i])!;
      if (leaf.callFrame.functionName === '(idle)') continue;
      busy += dt;
      const own = leaf.callFrame.url ? owner(leaf).replace(/.*node_modules\//, '') : `(${leaf.callFrame.functionName || 'native'})`;
      self.set(own, (self.get(own) ?? 0) + dt);
      let key: string | null = null;
      for (let x: number | undefined = leaf.id; x !== undefined && key === null; x = parent.get(x)) {
        const n = byId.get(x)!;
        if (n.callFrame.url.includes('/dist/src/')) key = owner(n);
      }
      key ??= packageOf(leaf);
      cost.set(key, (cost.get(key) ?? 0) + dt);
    }
    const requests = r.total * ((to - from) / 1000 / (t1 - t0));
    console.log(`cost by owner: ${machine()}; ${target}${entry ? ` (${entry})` : ''}, ${mode}, ${fmt(r.rps, 0)} req/s under the profiler; ${fmt(busy / requests, 1)} µs of main-thread CPU per request`);
    console.log('µs/req  owner');
    const top = argNumber('top', 40);
    for (const [k, v] of [...cost].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${fmt(v / requests, 2).padStart(6)}  ${k}`);
    console.log('\nµs/req  self time (the sampled function itself)');
    for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${fmt(v / requests, 2).padStart(6)}  ${k}`);
  } finally {
    await mock.svc.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
