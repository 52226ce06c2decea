// Closed-loop HTTP load with autocannon's programmatic API. autocannon's own latency histogram has
// 1 ms resolution, too coarse for a sub-millisecond target, so every 2xx response time (a float in ms,
// from autocannon's 'response' event) is kept and the percentiles are computed here.

import { median } from './stats';

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number; errors: number; timeouts: number; duration: number;
}
interface AutocannonInstance {
  on(event: 'response', fn: (client: unknown, status: number, bytes: number, ms: number) => void): void;
  stop(): void;
}
type Autocannon = ((opts: Record<string, unknown>) => AutocannonInstance & Promise<AutocannonResult>) & { track?: unknown };

// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon: Autocannon = require('autocannon');

export interface LoadOptions { url: string; connections: number; seconds: number; headers: Record<string, string>; body: string }

export interface LoadResult {
  connections: number;
  seconds: number;
  rps: number;
  total: number;
  p50: number; // ms
  p99: number; // ms
  non2xx: number;
  errors: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const MAX_SAMPLES = 2_000_000; // bounds memory whatever the rate

export async function load(o: LoadOptions): Promise<LoadResult> {
  const times = new Float64Array(MAX_SAMPLES);
  let n = 0;
  const run = autocannon({
    url: o.url, method: 'POST', connections: o.connections, duration: o.seconds, pipelining: 1,
    headers: o.headers, body: o.body, timeout: 10,
  });
  run.on('response', (_c, status, _b, ms) => {
    if (status >= 200 && status < 300 && n < MAX_SAMPLES) times[n++] = ms;
  });
  const r = await run;
  const sorted = times.subarray(0, n).sort();
  return {
    connections: o.connections, seconds: o.seconds,
    rps: n / r.duration, total: r.requests.total,
    p50: percentile(sorted, 50), p99: percentile(sorted, 99),
    non2xx: r.non2xx, errors: r.errors + r.timeouts,
  };
}

export const medianOf = (xs: number[]): number => median(xs);
