import { readdirSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { load as runLoad } from './load';
import { startMock, startProxy, stopProxy } from './proxy';
import { STREAM_BODY } from './streams';
import { spawnService, waitForOutput } from './procs';
async function main() {
  const mode = process.argv[2] ?? 'sse';
  const dir = `/tmp/prof-${mode}${process.argv[4] === "bare" ? "-bare" : ""}`; rmSync(dir, { recursive: true, force: true }); mkdirSync(dir);
  const body = mode === 'sse' ? STREAM_BODY : JSON.stringify({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'Hello, how are you?' }] });
  const mock = await startMock([]);
  const bare = process.argv[4] === 'bare';
  const nodeArgs = ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '200'];
  let px: any;
  if (bare) {
    const svc = spawnService('bare relay', [...nodeArgs, '-r', 'tsx/cjs', 'scripts/bench/bare-relay.ts', '--upstream', mock.url, '--key', 'k1'], {}, process.cwd());
    px = { svc, origin: (await waitForOutput(svc, /listening: (http:\/\/127\.0\.0\.1:\d+)/, 20_000))[1] };
  } else px = await startProxy(mock.url, { dist: true, nodeArgs });
  await runLoad({ url: `${px.origin}/v1/chat/completions`, connections: 64, seconds: 2, headers: { 'content-type': 'application/json' }, body });
  const t0 = performance.now();
  const r = await runLoad({ url: `${px.origin}/v1/chat/completions`, connections: 64, seconds: 6, headers: { 'content-type': 'application/json' }, body });
  const t1 = performance.now();
  if (bare) await px.svc.stop(); else await stopProxy(px);
  const t2 = performance.now();
  await mock.svc.stop();
  const p = JSON.parse(readFileSync(`${dir}/${readdirSync(dir)[0]}`, 'utf8'));
  const parent = new Map<number, number>(); const byId = new Map<number, any>();
  for (const n of p.nodes) { byId.set(n.id, n); for (const c of n.children ?? []) parent.set(c, n.id); }
  const own = new Map<string, number>(); let busy = 0;
  const label = (n: any) => `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/.*\/dist\/src\//, '')}:${n.callFrame.lineNumber + 1}`;
  const total = (p.endTime - p.startTime);
  const to = p.endTime - (t2 - t1 + 100) * 1000, from = to - (t1 - t0 - 500) * 1000;
  let at = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0; at += dt; if (at < from || at > to) continue; let id = p.samples[i]; const leaf = byId.get(id);
    if (leaf.callFrame.functionName === '(idle)') continue;
    busy += dt;
    let key: string | null = null;
    for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) { const n = byId.get(x); if (n.callFrame.url.includes('/dist/src/')) { key = label(n); break; } }
    if (key === null) { const u = leaf.callFrame.url; key = '[' + (u.includes('node_modules/') ? u.split('node_modules/')[1].split('/')[0] : u.startsWith('node:') ? 'node:' + u.slice(5).split('/')[0] : leaf.callFrame.functionName) + ']'; }
    own.set(key, (own.get(key) ?? 0) + dt);
  }
  // the load ran for 6 of the profile's seconds, plus warm-up 2: scale to the requests of the whole profile
  const reqs = r.total * ((to - from) / 1000 / (t1 - t0));
  console.log(`${mode}: ${Math.round(r.rps)} req/s; busy ${(busy / 1000).toFixed(0)} ms of ${(total / 1000).toFixed(0)}; ~${(busy / reqs).toFixed(1)} µs busy per request`);
  for (const [k, v] of [...own].sort((a, b) => b[1] - a[1]).slice(0, Number(process.argv[3] ?? 45))) console.log((v / reqs).toFixed(2).padStart(7), k);
}
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
