// GET /admin/stats: requests, ok, errors by outcome, tokens, cost and p50/p95 latency per time bucket,
// summed from the per-minute rollups the request log writes with its rows (request_minutes and a
// latency histogram). In the database rather than in memory because the log is shared: behind a load
// balancer every replica answers with the whole pool's traffic, and a restart loses nothing; rollups
// rather than the rows because 7 days at a million rows would take seconds to aggregate.
// Answers are cached for a few seconds (the page polls).

import type { RequestLogStore } from '../store/request-log-store';
import { LATENCY_EDGES, percentile } from './latency-bins';
import { REQUEST_OUTCOMES, type RequestOutcome } from './entry';

export const STATS_WINDOWS = ['1h', '24h', '7d'] as const;
export type StatsWindow = (typeof STATS_WINDOWS)[number];

const MINUTE = 60_000;
const WINDOWS: Record<StatsWindow, { span: number; bucket: number }> = {
  '1h': { span: 60 * MINUTE, bucket: MINUTE },
  '24h': { span: 24 * 60 * MINUTE, bucket: 10 * MINUTE },
  '7d': { span: 7 * 24 * 60 * MINUTE, bucket: 60 * MINUTE },
};

export interface StatsPoint {
  t: string; requests: number; ok: number; errors: number; by_outcome: Record<RequestOutcome, number>;
  input_tokens: number; output_tokens: number; cost: number; p50_ms: number | null; p95_ms: number | null;
}

export interface StatsAnswer {
  window: StatsWindow; bucket_seconds: number; series: StatsPoint[];
  totals: { requests: number; ok: number; errors: number; input_tokens: number; output_tokens: number; cost: number };
}

const CACHE_MS = 5000;

export class RequestStats {
  private cache = new Map<StatsWindow, { at: number; answer: Promise<StatsAnswer> }>();

  constructor(private readonly store: RequestLogStore, private readonly now: () => number) {}

  /** New rows were written: the next answer is computed afresh. */
  invalidate(): void { this.cache.clear(); }

  get(window: StatsWindow): Promise<StatsAnswer> {
    const now = this.now();
    const hit = this.cache.get(window);
    if (hit && now - hit.at < CACHE_MS) return hit.answer;
    const answer = this.compute(window, now);
    this.cache.set(window, { at: now, answer });
    answer.catch(() => this.cache.delete(window));
    return answer;
  }

  private async compute(window: StatsWindow, now: number): Promise<StatsAnswer> {
    const { span, bucket } = WINDOWS[window];
    const first = Math.floor((now - span) / bucket) * bucket + bucket; // the oldest whole-or-current bucket
    const count = Math.round((Math.floor(now / bucket) * bucket - first) / bucket) + 1;
    const points = Array.from({ length: count }, (_, i) => emptyPoint(first + i * bucket));
    const hist = Array.from({ length: count }, () => new Array<number>(LATENCY_EDGES.length + 1).fill(0));
    const [rows, bins] = await Promise.all([this.store.buckets(first, bucket), this.store.latencyHistogram(first, bucket)]);
    const slot = (t: number) => Math.round((t - first) / bucket);
    for (const r of rows) {
      const p = points[slot(r.t)];
      if (!p) continue;
      p.requests += r.requests;
      if (r.outcome === 'ok') p.ok += r.requests; else p.errors += r.requests;
      if (r.outcome in p.by_outcome) p.by_outcome[r.outcome] += r.requests;
      p.input_tokens += r.input_tokens;
      p.output_tokens += r.output_tokens;
      p.cost += r.cost;
    }
    for (const b of bins) {
      const h = hist[slot(b.t)];
      if (h) h[b.bin] += b.n;
    }
    const totals = { requests: 0, ok: 0, errors: 0, input_tokens: 0, output_tokens: 0, cost: 0 };
    points.forEach((p, i) => {
      p.p50_ms = percentile(hist[i], 0.5);
      p.p95_ms = percentile(hist[i], 0.95);
      p.cost = round9(p.cost);
      totals.requests += p.requests; totals.ok += p.ok; totals.errors += p.errors;
      totals.input_tokens += p.input_tokens; totals.output_tokens += p.output_tokens; totals.cost += p.cost;
    });
    totals.cost = round9(totals.cost);
    return { window, bucket_seconds: bucket / 1000, series: points, totals };
  }
}

function emptyPoint(t: number): StatsPoint {
  const by = Object.fromEntries(REQUEST_OUTCOMES.map((o) => [o, 0])) as Record<RequestOutcome, number>;
  return { t: new Date(t).toISOString(), requests: 0, ok: 0, errors: 0, by_outcome: by, input_tokens: 0, output_tokens: 0, cost: 0, p50_ms: null, p95_ms: null };
}

const round9 = (x: number) => Math.round(x * 1e9) / 1e9;
