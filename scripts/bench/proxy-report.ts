// The proxy benchmark's figures and how they are printed (markdown tables for BENCHMARKS.md).

import type { ProfileSummary } from './cpu-profile';
import type { LoadResult } from './load';
import { fmt, kb, mb, table } from './stats';

/** Shares of one core over the run; and CPU time per request, which other work on the machine barely skews. */
export interface Cpu { loadgen: number; mock: number; proxy: number | null; mockUsPerRequest: number; proxyUsPerRequest: number | null }
export interface LoadPair { connections: number; direct: { load: LoadResult; cpu: Cpu }; proxy: { load: LoadResult; cpu: Cpu } }
export interface Memory { rss: number; heap: number | null }
export interface GcMemory { rss: number; heapUsed: number; external: number; arrayBuffers: number }
export interface StreamsReport {
  count: number; rate: number; before: Memory; during: Memory;
  /** process.memoryUsage() inside the proxy right after a full GC (through its inspector). */
  beforeGc: GcMemory; duringGc: GcMemory; stillOpen: number;
  directFirst: { p50: number; p99: number }; proxyFirst: { p50: number; p99: number };
  directComplete: number; proxyComplete: number;
}
export interface ProxyReport {
  machine: string; date: string; loadBefore: string; loadAfter: string; runner: string; seconds: number;
  load: LoadPair[];
  sequential: { count: number; directP50: number; proxyP50: number } | null;
  firstChunkIdle: { count: number; directP50: number; proxyP50: number } | null;
  perKey: Record<string, number> | null;
  streams: StreamsReport | null;
  profile: ProfileSummary | null;
  skipped: string[];
}

const pct = (x: number | null) => (x === null ? '-' : `${fmt(x * 100, 0)}%`);
const met = (ok: boolean) => (ok ? 'met' : 'NOT met');

export function printProxyReport(r: ProxyReport, say: (s: string) => void): void {
  say(`\n## Proxy benchmark — ${r.date}\n${r.machine}; load average ${r.loadBefore} before, ${r.loadAfter} after; proxy: \`${r.runner}\`\n`);
  if (r.load.length) {
    say(`Non-streaming POST /v1/chat/completions, autocannon, ${r.seconds} s per row (p50/p99 in ms from every 2xx response time):\n`);
    say(table(
      ['conns', 'direct req/s', 'direct p50', 'direct p99', 'proxy req/s', 'proxy p50', 'proxy p99', 'proxy/direct', 'added p50', 'CPU loadgen/mock/proxy (proxy run)', 'errors'],
      r.load.map((x) => [x.connections, fmt(x.direct.load.rps, 0), fmt(x.direct.load.p50, 2), fmt(x.direct.load.p99, 2),
        fmt(x.proxy.load.rps, 0), fmt(x.proxy.load.p50, 2), fmt(x.proxy.load.p99, 2),
        `${fmt(x.proxy.load.rps / x.direct.load.rps, 2)}× (${met(x.proxy.load.rps / x.direct.load.rps >= 0.5)})`,
        `${fmt(x.proxy.load.p50 - x.direct.load.p50, 2)} ms`,
        `${pct(x.proxy.cpu.loadgen)} / ${pct(x.proxy.cpu.mock)} / ${pct(x.proxy.cpu.proxy)}`,
        `${x.direct.load.non2xx + x.direct.load.errors} / ${x.proxy.load.non2xx + x.proxy.load.errors}`]),
    ));
    say(`\n(direct runs used CPU loadgen/mock: ${r.load.map((x) => `${pct(x.direct.cpu.loadgen)} / ${pct(x.direct.cpu.mock)}`).join(', ')})`);
    say('\nCPU time per request (µs; the cost each process pays, whatever else runs on the machine):\n');
    say(table(['conns', 'mock (direct run)', 'mock (proxy run)', 'proxy', 'proxy / mock', 'one-core ceiling of the proxy'],
      r.load.map((x) => {
        const p = x.proxy.cpu.proxyUsPerRequest ?? NaN;
        return [x.connections, fmt(x.direct.cpu.mockUsPerRequest, 0), fmt(x.proxy.cpu.mockUsPerRequest, 0), fmt(p, 0),
          `${fmt(p / x.direct.cpu.mockUsPerRequest, 2)}×`, `${fmt(1e6 / p, 0)} req/s`];
      })));
  }
  if (r.sequential) {
    const added = r.sequential.proxyP50 - r.sequential.directP50;
    say(`\nOne request at a time (${r.sequential.count} sequential, 1 connection): direct p50 ${fmt(r.sequential.directP50, 3)} ms, proxy p50 ${fmt(r.sequential.proxyP50, 3)} ms, added ${fmt(added, 3)} ms (target < 0.5 ms: ${met(added < 0.5)})`);
  }
  if (r.perKey) say(`Requests per key through the proxy (from its event log): ${JSON.stringify(r.perKey)}`);
  if (r.firstChunkIdle) {
    const added = r.firstChunkIdle.proxyP50 - r.firstChunkIdle.directP50;
    say(`First data chunk, one stream at a time (${r.firstChunkIdle.count}): direct p50 ${fmt(r.firstChunkIdle.directP50, 3)} ms, proxy p50 ${fmt(r.firstChunkIdle.proxyP50, 3)} ms, added ${fmt(added, 3)} ms (target < 2 ms: ${met(added < 2)})`);
  }
  if (r.streams) {
    const s = r.streams;
    const perRss = (s.during.rss - s.before.rss) / s.count;
    const perHeap = s.during.heap !== null && s.before.heap !== null ? (s.during.heap - s.before.heap) / s.count : null;
    const gc = (f: (m: GcMemory) => number) => (f(s.duringGc) - f(s.beforeGc)) / s.count;
    say(`\n${s.count} concurrent streams (opened at ${s.rate}/s, each ~8 s long; ${s.stillOpen} still open at the after-GC sample):\n`);
    say(table(
      ['proxy process', 'before', `while ${s.count} open`, 'per stream', 'target < 30 KB'],
      [
        ['RSS, live (median of 5)', mb(s.before.rss), mb(s.during.rss), kb(perRss), met(perRss < 30 * 1024)],
        ['heap used, live (/metrics)', s.before.heap === null ? 'n/a' : mb(s.before.heap), s.during.heap === null ? 'n/a' : mb(s.during.heap), perHeap === null ? 'n/a' : kb(perHeap), perHeap === null ? '' : met(perHeap < 30 * 1024)],
        ['RSS after a full GC', mb(s.beforeGc.rss), mb(s.duringGc.rss), kb(gc((m) => m.rss)), met(gc((m) => m.rss) < 30 * 1024)],
        ['heap used after a full GC', mb(s.beforeGc.heapUsed), mb(s.duringGc.heapUsed), kb(gc((m) => m.heapUsed)), met(gc((m) => m.heapUsed) < 30 * 1024)],
        ['heap + external after a full GC', mb(s.beforeGc.heapUsed + s.beforeGc.external), mb(s.duringGc.heapUsed + s.duringGc.external),
          kb(gc((m) => m.heapUsed + m.external)), met(gc((m) => m.heapUsed + m.external) < 30 * 1024)],
      ],
    ));
    say(`\nFirst data chunk while opening them: direct p50 ${fmt(s.directFirst.p50, 2)} ms / p99 ${fmt(s.directFirst.p99, 2)} ms; proxy p50 ${fmt(s.proxyFirst.p50, 2)} ms / p99 ${fmt(s.proxyFirst.p99, 2)} ms; added p50 ${fmt(s.proxyFirst.p50 - s.directFirst.p50, 2)} ms (target < 2 ms: ${met(s.proxyFirst.p50 - s.directFirst.p50 < 2)}). Complete with [DONE]: direct ${s.directComplete}/${s.count}, proxy ${s.proxyComplete}/${s.count}.`);
  }
  if (r.profile) {
    const p = r.profile;
    say(`\nCPU profile of the proxy under 64 connections (self time, share of busy time; idle ${pct(p.idleShare)}):\n`);
    say(table(['share', 'self ms', 'function', 'where'], p.functions.slice(0, 15).map((f) => [pct(f.share), fmt(f.selfMs, 0), f.name, f.where])));
    say('\nBy package:\n');
    say(table(['share', 'self ms', 'package'], p.packages.slice(0, 12).map((f) => [pct(f.share), fmt(f.selfMs, 0), f.name])));
  }
  if (r.skipped.length) say(`\nSkipped: ${r.skipped.join('; ')}`);
}
