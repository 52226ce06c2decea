/**
 * A target's CPU per request by thread (Linux /proc/<pid>/task/<tid>/stat, user + system time), over
 * one load run: the event loop, the request log's writer thread, V8's GC helpers, libuv's pool. The
 * CPU profile (cost-by-owner.ts) sees only the main thread; this shows what runs beside it, which on a
 * machine shared with the mock and the load generator takes cores from them all the same.
 *
 *   npm run build && npx tsx scripts/bench/cpu-by-thread.ts [--mode json|sse] [--target proxy|bare]
 *     [--seconds N (6)] [--entry FILE: another proxy build]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { load as runLoad } from './load';
import { BODIES, startBareRelay, startMock, startProxy, stopProxy, type Mode } from './proxy';
import { argNumber, argValue, fmt, machine } from './stats';

const TICK_US = 1e6 / 100; // USER_HZ: clock ticks of /proc's utime and stime are 1/100 s on Linux

/**
 * CPU µs so far of each thread of `pid`. Node leaves its threads unnamed ("node"), so they are told
 * apart by id in the order they started: the main thread (id = pid), then V8's and libuv's helpers,
 * then the ones started later (the request log's writer thread is the last).
 */
function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  const tids = readdirSync(`/proc/${pid}/task`).map(Number).sort((a, b) => a - b);
  for (const [i, tid] of tids.entries()) {
    let stat: string;
    try { stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'); } catch { continue; } // the thread ended
    const name = tid === pid ? 'main' : `thread ${i} (${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}, tid ${tid})`;
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[11] utime, f[12] stime (fields 14, 15)
    const us = (Number(f[11]) + Number(f[12])) * TICK_US;
    out.set(name, (out.get(name) ?? 0) + us);
  }
  return out;
}

async function main(): Promise<void> {
  const mode = (argValue('mode') ?? 'json') as Mode;
  const target = argValue('target') ?? 'proxy';
  const seconds = argNumber('seconds', 6);
  const entry = argValue('entry');
  const mock = await startMock([]);
  try {
    let origin: string;
    let pid: number;
    let stop: () => Promise<unknown>;
    if (target === 'bare') {
      const b = await startBareRelay(mock.url);
      origin = b.origin; pid = b.svc.pid; stop = () => b.svc.stop();
    } else {
      const px = await startProxy(mock.url, { dist: true, ...(entry ? { entry: [entry] } : {}) });
      origin = px.origin; pid = px.svc.pid; stop = () => stopProxy(px);
    }
    const opts = { url: `${origin}/v1/chat/completions`, connections: 64, headers: { 'content-type': 'application/json' }, body: BODIES[mode] };
    await runLoad({ ...opts, seconds: 2 }); // warm-up
    const before = threadCpu(pid);
    const mockBefore = threadCpu(mock.svc.pid);
    const r = await runLoad({ ...opts, seconds });
    const after = threadCpu(pid);
    const mockAfter = threadCpu(mock.svc.pid);
    await stop();
    const perReq = (a: Map<string, number>, b: Map<string, number>) =>
      [...a].map(([k, v]) => [k, (v - (b.get(k) ?? 0)) / r.total] as const).filter(([, v]) => v > 0).sort((x, y) => y[1] - x[1]);
    const rows = perReq(after, before);
    const total = rows.reduce((s, [, v]) => s + v, 0);
    const mockTotal = perReq(mockAfter, mockBefore).reduce((s, [, v]) => s + v, 0);
    console.log(`cpu by thread: ${machine()}; ${target}${entry ? ` (${entry})` : ''}, ${mode}, ${fmt(r.rps, 0)} req/s; ` +
      `${fmt(total, 1)} µs CPU per request in all (mock ${fmt(mockTotal, 1)})`);
    console.log('µs/req  thread');
    for (const [k, v] of rows) console.log(`${fmt(v, 1).padStart(6)}  ${k}`);
  } finally {
    await mock.svc.stop();
  }
}

main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
