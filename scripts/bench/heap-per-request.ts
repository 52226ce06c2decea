/**
 * What each request leaves on the heap, proxy against the bare relay under the same load (issue 12):
 * the bytes allocated, the bytes that survive a young-generation collection and the bytes promoted to the old heap, per
 * request, from V8's own trace (--trace-gc-nvp), with the time V8 paused the main thread for them and
 * the process's CPU (all threads) per request. What lives long costs twice: copied while young, then
 * marked and swept by the old-heap collector on helper threads.
 *
 *   npm run build && npx tsx scripts/bench/heap-per-request.ts [--seconds N (6)] [--modes json,sse]
 *     [--also NAME=FILE,…]: further proxy builds as targets (e.g. before=/tmp/before/dist/src/main.js)
 */
import { load as runLoad } from './load';
import { cpuMs, type Service } from './procs';
import { BODIES, startBareRelay, startMock, startProxy, stopProxy, type Mode } from './proxy';
import { argNumber, argValue, fmt, load, machine, table } from './stats';

const GC_ARGS = ['--trace-gc-nvp'];

interface Started { origin: string; svc: Service; stop: () => Promise<unknown> }

async function startTarget(name: string, file: string | null, upstream: string): Promise<Started> {
  if (name === 'bare') {
    const b = await startBareRelay(upstream, GC_ARGS);
    return { ...b, stop: () => b.svc.stop() };
  }
  const px = await startProxy(upstream, { dist: true, nodeArgs: GC_ARGS, ...(file ? { entry: [file] } : {}) });
  return { origin: px.origin, svc: px.svc, stop: () => stopProxy(px) };
}

interface Gc { scavenges: number; allocated: number; survived: number; promoted: number; pauseMs: number; majors: number }

/** Sums V8's one-line-per-collection trace (gc=s: scavenge; gc=ms/mc: mark-sweep/compact). */
function parseTrace(text: string): Gc {
  const g: Gc = { scavenges: 0, allocated: 0, survived: 0, promoted: 0, pauseMs: 0, majors: 0 };
  const num = (line: string, key: string) => Number(new RegExp(` ${key}=([\\d.]+)`).exec(line)?.[1] ?? 0);
  for (const line of text.split('\n')) {
    const kind = / gc=(\w+)/.exec(line)?.[1];
    if (kind === undefined) continue;
    g.pauseMs += num(line, 'pause');
    g.allocated += num(line, 'allocated'); // since the collection before
    if (kind === 's') { g.scavenges++; g.survived += num(line, 'new_space_survived'); g.promoted += num(line, 'promoted'); } else g.majors++;
  }
  return g;
}

async function main(): Promise<void> {
  const seconds = argNumber('seconds', 6);
  const modes = (argValue('modes') ?? 'json,sse').split(',') as Mode[];
  const also = (argValue('also') ?? '').split(',').filter(Boolean).map((x) => x.split('=') as [string, string]);
  const targets: [string, string | null][] = [['bare', null], ['proxy', null], ...also];
  console.log(`heap per request: ${machine()}; load average ${load()}; 64 connections, ${seconds} s per run`);
  const mock = await startMock([]);
  const rows: (string | number)[][] = [];
  try {
    for (const mode of modes) {
      for (const [name, file] of targets) {
        const t = await startTarget(name, file, mock.url);
        try {
          const opts = { url: `${t.origin}/v1/chat/completions`, connections: 64, headers: { 'content-type': 'application/json' }, body: BODIES[mode] };
          await runLoad({ ...opts, seconds: 2 }); // warm-up
          let trace = '';
          const keep = (b: Buffer) => { trace += b.toString(); };
          t.svc.child.stdout!.on('data', keep);
          const cpu0 = cpuMs(t.svc.pid);
          const r = await runLoad({ ...opts, seconds });
          const cpu = cpuMs(t.svc.pid) - cpu0;
          t.svc.child.stdout!.off('data', keep);
          const g = parseTrace(trace);
          const per = (x: number) => x / r.total;
          rows.push([mode, name, fmt(r.rps, 0), fmt(per(cpu * 1000), 0), fmt(per(g.allocated), 0), fmt(per(g.survived), 0), fmt(per(g.promoted), 0), fmt(per(g.pauseMs * 1000), 1), g.scavenges, g.majors]);
          console.log(`  ${mode} ${name}: ${fmt(r.rps, 0)} req/s, promoted ${fmt(per(g.promoted), 0)} B per request`);
        } finally { await t.stop(); }
      }
    }
  } finally { await mock.svc.stop(); }
  console.log(table(['mode', 'target', 'req/s', 'CPU µs/req', 'allocated B/req', 'survived B/req', 'promoted B/req', 'GC pause µs/req', 'scavenges', 'old-heap GCs'], rows));
}

main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
