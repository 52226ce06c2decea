/**
 * Proxy benchmark (issue 3). Three processes on this machine: this one (the load generator: autocannon
 * and undici clients), the mock upstream (scripts/mock-upstream.ts) and the proxy (src/main.ts), so the
 * proxy never shares an event loop with the load it serves. The same load runs against the mock directly
 * and through the proxy, in one run; each run reports how much CPU each process used.
 *
 *   npx tsx scripts/bench/proxy.ts                    # everything, ~4 minutes
 *   npx tsx scripts/bench/proxy.ts --seconds 10 --streams 1000 --no-profile --dist
 *     --dist: run the compiled dist/src/main.js (after `npm run build`) instead of src/main.ts under tsx
 *     --only load,profile,streams: some phases only
 *     --json FILE: also write the raw figures; --entry FILE: start another proxy entry point under tsx
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import knexFactory from 'knex';
import { Pool } from 'undici';
import { summarise, type ProfileSummary } from './cpu-profile';
import { load as runLoad, type LoadResult } from './load';
import { Inspector } from './inspector';
import { cpuMs, freePort, rssBytes, spawnService, waitForHttp, waitForOutput, type Service } from './procs';
import { openMany, sequentialFirstData, STREAM_BODY, type StreamTarget } from './streams';
import { argNumber, argValue, Deadline, fmt, load, machine, median } from './stats';
import { printProxyReport, type Cpu, type ProxyReport, type LoadPair, type StreamsReport } from './proxy-report';

const ROOT = resolve(__dirname, '../..');
const BODY = JSON.stringify({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'Hello, how are you?' }] });
/** The chat request every load sends, JSON or streamed. */
export const BODIES = { json: BODY, sse: STREAM_BODY } as const;
export type Mode = keyof typeof BODIES;

/** The bare node:http + undici relay (bare-relay.ts) the proxy is measured against, in its own process. */
export async function startBareRelay(upstream: string, nodeArgs: string[] = []): Promise<{ origin: string; svc: Service }> {
  const svc = spawnService('bare relay', [...nodeArgs, '-r', 'tsx/cjs', 'scripts/bench/bare-relay.ts', '--upstream', upstream, '--key', 'k1'], {}, ROOT);
  const m = await waitForOutput(svc, /listening: (http:\/\/127\.0\.0\.1:\d+)/, 20_000);
  return { origin: m[1], svc };
}
const KEYS = 'k1:1,k2:3';
const say = (s: string) => console.log(s);

export interface Upstream { svc: Service; url: string }
export interface Proxy { svc: Service; origin: string; dir: string }

export async function startMock(extra: string[]): Promise<Upstream> {
  const svc = spawnService('mock upstream', ['-r', 'tsx/cjs', 'scripts/mock-upstream.ts', '--port', '0', '--quiet', ...extra], {}, ROOT);
  const m = await waitForOutput(svc, /listening: (http:\/\/127\.0\.0\.1:\d+\/api\/v1)/, 20_000);
  return { svc, url: m[1] };
}

/** How the proxy process is started: compiled output, or the sources under tsx (same code, no type-check). */
export function proxyEntry(dist: boolean): string[] {
  const other = argValue('entry'); // another entry point, e.g. an older build to compare with
  if (other) return ['-r', 'tsx/cjs', other];
  return dist ? ['dist/src/main.js'] : ['-r', 'tsx/cjs', 'src/main.ts'];
}

export async function startProxy(upstream: string, o: { dist: boolean; nodeArgs?: string[]; entry?: string[] }): Promise<Proxy> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'orp-bench-proxy-'));
  const entry = o.entry ?? proxyEntry(o.dist);
  const svc = spawnService('proxy', [...(o.nodeArgs ?? []), ...entry], {
    PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', NODE_ENV: 'production',
    DB_TYPE: 'sqlite', DB_CONNECTION_STRING_SQLITE: join(dir, 'bench.db'),
    OPENROUTER_BASE_URL: upstream, OPENROUTER_API_KEYS: KEYS,
    ADMIN_PASSWORD: 'bench-admin-password', HEALTH_CHECK_INTERVAL_SECONDS: '3600',
  }, ROOT);
  const origin = `http://127.0.0.1:${port}`;
  await waitForHttp(svc, `${origin}/readyz`, 30_000);
  return { svc, origin, dir };
}

export async function stopProxy(p: Proxy): Promise<void> {
  await p.svc.stop();
  rmSync(p.dir, { recursive: true, force: true });
}

/** One real request through the proxy: the benchmark refuses to run against a proxy that does not serve. */
export async function checkServes(origin: string): Promise<void> {
  const pool = new Pool(origin, { connections: 1 });
  try {
    const r = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, body: BODY });
    const text = await r.body.text();
    if (r.statusCode !== 200 || !text.includes('"choices"')) throw new Error(`POST /v1/chat/completions through the proxy answered ${r.statusCode}: ${text.slice(0, 300)}`);
  } finally { await pool.close(); }
}

interface Measured { load: LoadResult; cpu: Cpu }

/** Runs the load and reports each process's CPU use as a share of one core over the run. */
async function measure(url: string, headers: Record<string, string>, connections: number, seconds: number, mock: Service, proxy: Service | null): Promise<Measured> {
  const wall0 = performance.now();
  const me0 = process.cpuUsage();
  const mock0 = cpuMs(mock.pid);
  const proxy0 = proxy ? cpuMs(proxy.pid) : 0;
  const result = await runLoad({ url, connections, seconds, headers: { 'content-type': 'application/json', ...headers }, body: BODY });
  const wall = performance.now() - wall0;
  const me = process.cpuUsage(me0);
  const mockMs = cpuMs(mock.pid) - mock0;
  const proxyMs = proxy ? cpuMs(proxy.pid) - proxy0 : null;
  const perRequest = (cpu: number) => (cpu * 1000) / Math.max(1, result.total); // µs of CPU per request
  return {
    load: result,
    cpu: {
      loadgen: (me.user + me.system) / 1000 / wall,
      mock: mockMs / wall,
      proxy: proxyMs === null ? null : proxyMs / wall,
      mockUsPerRequest: perRequest(mockMs),
      proxyUsPerRequest: proxyMs === null ? null : perRequest(proxyMs),
    },
  };
}

/** Sequential non-streaming requests (one connection, no queueing): the latency the proxy adds per request. */
async function sequentialLatency(origin: string, path: string, headers: Record<string, string>, count: number): Promise<number[]> {
  const pool = new Pool(origin, { connections: 1, pipelining: 1 });
  const out: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      const r = await pool.request({ method: 'POST', path, headers: { 'content-type': 'application/json', ...headers }, body: BODY });
      await r.body.text();
      if (r.statusCode !== 200) throw new Error(`sequential request answered ${r.statusCode}`);
      out.push(performance.now() - t0);
    }
  } finally { await pool.close(); }
  return out;
}

const keyId = (secret: string) => createHash('sha256').update(secret).digest('hex').slice(0, 16);

/** Requests per key from the proxy's own event log (read after it stopped and flushed). */
async function usedPerKey(dbFile: string): Promise<Record<string, number>> {
  const k = knexFactory({ client: 'better-sqlite3', connection: { filename: dbFile }, useNullAsDefault: true });
  try {
    const rows = await k('key_events').where('type', 'KeyUsed').select('key_id', 'data');
    const out: Record<string, number> = {};
    const names = new Map(['k1', 'k2'].map((s) => [keyId(s), s]));
    for (const r of rows) {
      const name = names.get(r.key_id) ?? r.key_id;
      out[name] = (out[name] ?? 0) + Number(JSON.parse(r.data).count ?? 0);
    }
    return out;
  } finally { await k.destroy(); }
}

async function heapUsed(origin: string): Promise<number | null> {
  try {
    const pool = new Pool(origin, { connections: 1 });
    try {
      const r = await pool.request({ method: 'GET', path: '/metrics', headersTimeout: 2000, bodyTimeout: 2000 });
      const text = await r.body.text();
      const m = /^nodejs_heap_size_used_bytes (\d+(?:\.\d+)?(?:e\+\d+)?)/m.exec(text);
      return r.statusCode === 200 && m ? Number(m[1]) : null;
    } finally { await pool.close(); }
  } catch { return null; }
}

async function sampleMemory(p: Proxy, samples: number): Promise<{ rss: number; heap: number | null }> {
  const rss: number[] = [];
  const heap: number[] = [];
  for (let i = 0; i < samples; i++) {
    rss.push(rssBytes(p.svc.pid));
    const h = await heapUsed(p.origin);
    if (h !== null) heap.push(h);
    await new Promise((r) => setTimeout(r, 300));
  }
  return { rss: median(rss), heap: heap.length ? median(heap) : null };
}

async function loadPhase(mock: Upstream, proxy: Proxy, seconds: number, report: ProxyReport): Promise<void> {
  const direct = { url: `${mock.url}/chat/completions`, headers: { authorization: 'Bearer k1' } };
  const through = { url: `${proxy.origin}/v1/chat/completions`, headers: {} };
  say('  warming up (3 s each, discarded)');
  await measure(direct.url, direct.headers, 32, 3, mock.svc, null);
  await measure(through.url, through.headers, 32, 3, mock.svc, proxy.svc);
  for (const connections of [32, 64]) {
    const d = await measure(direct.url, direct.headers, connections, seconds, mock.svc, null);
    say(`  direct  ${connections} conns: ${fmt(d.load.rps, 0)} req/s, p50 ${fmt(d.load.p50, 2)} ms, p99 ${fmt(d.load.p99, 2)} ms`);
    const p = await measure(through.url, through.headers, connections, seconds, mock.svc, proxy.svc);
    say(`  proxy   ${connections} conns: ${fmt(p.load.rps, 0)} req/s, p50 ${fmt(p.load.p50, 2)} ms, p99 ${fmt(p.load.p99, 2)} ms`);
    const pair: LoadPair = { connections, direct: d, proxy: p };
    report.load.push(pair);
  }
  const mockOrigin = new URL(mock.url).origin;
  const directSeq = await sequentialLatency(mockOrigin, '/api/v1/chat/completions', { authorization: 'Bearer k1' }, 2000);
  const proxySeq = await sequentialLatency(proxy.origin, '/v1/chat/completions', {}, 2000);
  report.sequential = { count: 2000, directP50: median(directSeq), proxyP50: median(proxySeq) };
  say(`  one at a time: direct p50 ${fmt(report.sequential.directP50, 3)} ms, proxy p50 ${fmt(report.sequential.proxyP50, 3)} ms`);

  const directStream: StreamTarget = { origin: mockOrigin, path: '/api/v1/chat/completions', headers: { authorization: 'Bearer k1' } };
  const proxyStream: StreamTarget = { origin: proxy.origin, path: '/v1/chat/completions', headers: {} };
  const dFirst = await sequentialFirstData(directStream, 300);
  const pFirst = await sequentialFirstData(proxyStream, 300);
  report.firstChunkIdle = { count: 300, directP50: median(dFirst), proxyP50: median(pFirst) };
  say(`  first data chunk, one stream at a time: direct ${fmt(median(dFirst), 3)} ms, proxy ${fmt(median(pFirst), 3)} ms`);
}

async function profilePhase(mock: Upstream, dist: boolean, seconds: number): Promise<ProfileSummary> {
  const dir = mkdtempSync(join(tmpdir(), 'orp-bench-prof-'));
  try {
    const proxy = await startProxy(mock.url, { dist, nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir] });
    let loadMs = 0;
    let stopMs = 0;
    try {
      await checkServes(proxy.origin);
      await measure(`${proxy.origin}/v1/chat/completions`, {}, 64, 2, mock.svc, proxy.svc); // warm-up
      const started = performance.now();
      const r = await measure(`${proxy.origin}/v1/chat/completions`, {}, 64, seconds, mock.svc, proxy.svc);
      loadMs = performance.now() - started;
      say(`  profiled proxy at 64 conns: ${fmt(r.load.rps, 0)} req/s (profiling slows it)`);
    } finally {
      const stopping = performance.now();
      await stopProxy(proxy);
      stopMs = performance.now() - stopping;
    }
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('the proxy wrote no .cpuprofile (did it exit cleanly on SIGTERM?)');
    const keep = join(tmpdir(), `orp-proxy-${Date.now()}.cpuprofile`);
    copyFileSync(join(dir, file), keep);
    say(`  profile kept at ${keep}`);
    // Only the measured load: not the start-up (module loading), the warm-up or the shutdown.
    return summarise(keep, 25, { endSkipMs: stopMs + 100, lengthMs: Math.max(0, loadMs - 500) });
  } finally { rmSync(dir, { recursive: true, force: true }); }
}

async function streamsPhase(count: number, dist: boolean): Promise<StreamsReport> {
  // Streams that stay open: the mock waits 1 s before each of 8 content chunks (about 8 s per stream).
  const mock = await startMock(['--chunk-delay', '1000', '--chunks', 'a,b,c,d,e,f,g,h']);
  let proxy: Proxy | null = null;
  let inspector: Inspector | null = null;
  try {
    proxy = await startProxy(mock.url, { dist, nodeArgs: ['--inspect=127.0.0.1:0'] });
    inspector = await Inspector.attach(proxy.svc);
    await checkServes(proxy.origin);
    const mockOrigin = new URL(mock.url).origin;
    const direct: StreamTarget = { origin: mockOrigin, path: '/api/v1/chat/completions', headers: { authorization: 'Bearer k1' } };
    const through: StreamTarget = { origin: proxy.origin, path: '/v1/chat/completions', headers: {} };

    say(`  warm-up: 50 streams through the proxy`);
    const warm = await openMany(through, 50, 100, 30_000);
    await Promise.all(warm.streams.map((s) => s.timing));
    await warm.pool.close();

    const before = await sampleMemory(proxy, 5);
    const beforeGc = await inspector.memoryAfterGc();
    const rate = 250; // streams opened per second: 1,000 open within 4 s, all still open (8 s each)
    const d = await openMany(direct, count, rate, 30_000);
    const directDone = await Promise.all(d.streams.map((s) => s.timing));
    await d.pool.close();
    say(`  ${count} streams direct: first data p50 ${fmt(median(d.firstData), 2)} ms`);

    const p = await openMany(through, count, rate, 30_000);
    const during = await sampleMemory(proxy, 5);
    const duringGc = await inspector.memoryAfterGc();
    const stillOpen = p.streams.filter((x) => !x.done).length; // each lasts ~8 s; they were opened within 4 s
    const proxyDone = await Promise.all(p.streams.map((s) => s.timing));
    await p.pool.close();
    const complete = proxyDone.filter((t) => t.complete).length;
    say(`  ${count} streams through the proxy: first data p50 ${fmt(median(p.firstData), 2)} ms, ${complete} complete`);
    const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
    const p99 = (xs: number[]) => sorted(xs)[Math.floor(xs.length * 0.99)];
    return {
      count, rate,
      before, during, beforeGc, duringGc, stillOpen,
      directFirst: { p50: median(d.firstData), p99: p99(d.firstData) },
      proxyFirst: { p50: median(p.firstData), p99: p99(p.firstData) },
      directComplete: directDone.filter((t) => t.complete).length,
      proxyComplete: complete,
    };
  } finally {
    inspector?.close();
    if (proxy) await stopProxy(proxy);
    await mock.svc.stop();
  }
}

export async function runProxy(): Promise<ProxyReport> {
  const seconds = argNumber('seconds', 10);
  const streams = argNumber('streams', 1000);
  const dist = process.argv.includes('--dist');
  const only = new Set((argValue('only') ?? 'load,profile,streams').split(','));
  const deadline = new Deadline(argNumber('max-seconds', 570));
  const report: ProxyReport = {
    machine: machine(), date: new Date().toISOString(), loadBefore: load(), loadAfter: '',
    runner: `node ${proxyEntry(dist).join(' ')}`, seconds,
    load: [], sequential: null, firstChunkIdle: null, perKey: null, streams: null, profile: null, skipped: [],
  };
  say(`proxy benchmark: ${report.machine}; proxy runs as \`${report.runner}\``);
  const mock = await startMock([]);
  try {
    const proxy = await startProxy(mock.url, { dist });
    try {
      await checkServes(proxy.origin);
      if (only.has('load')) await loadPhase(mock, proxy, seconds, report);
    } finally {
      await proxy.svc.stop();
      report.perKey = await usedPerKey(join(proxy.dir, 'bench.db')).catch(() => null);
      rmSync(proxy.dir, { recursive: true, force: true });
    }
    if (process.argv.includes('--no-profile') || !only.has('profile')) report.skipped.push('CPU profile (not asked for)');
    else if (deadline.passed()) report.skipped.push('CPU profile (time budget used up)');
    else report.profile = await profilePhase(mock, dist, seconds);
  } finally {
    await mock.svc.stop();
  }
  if (!only.has('streams')) report.skipped.push('streams (not asked for)');
  else if (deadline.passed()) report.skipped.push('streams (time budget used up)');
  else report.streams = await streamsPhase(streams, dist);
  report.loadAfter = load();
  printProxyReport(report, say);
  const json = argValue('json');
  if (json) writeFileSync(json, JSON.stringify(report, null, 2));
  return report;
}

if (require.main === module) {
  runProxy().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
}
