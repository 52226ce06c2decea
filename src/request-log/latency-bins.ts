// The latency histogram the charts' percentiles are read from: fixed upper edges in ms, so per-minute
// counts from every replica add up and any window's p50/p95 comes from summed bins.

export const LATENCY_EDGES = [10, 25, 50, 75, 100, 150, 200, 300, 400, 500, 750, 1000, 1500, 2000, 3000, 4000, 5000,
  7500, 10_000, 15_000, 20_000, 30_000, 45_000, 60_000, 90_000, 120_000, 180_000, 300_000, 600_000] as const;

/** The bin of a latency: the first edge above it, or one past the last edge. */
export function latencyBin(ms: number): number {
  let lo = 0;
  let hi: number = LATENCY_EDGES.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ms < LATENCY_EDGES[mid]) hi = mid; else lo = mid + 1;
  }
  return lo;
}

/** The p-th quantile of a histogram over LATENCY_EDGES, interpolated inside its bin; null when empty. */
export function percentile(hist: readonly number[], p: number): number | null {
  const n = hist.reduce((a, b) => a + b, 0);
  if (n === 0) return null;
  const rank = p * n;
  let seen = 0;
  for (let i = 0; i < hist.length; i++) {
    if (hist[i] === 0) continue;
    if (seen + hist[i] >= rank) {
      const lo = i === 0 ? 0 : LATENCY_EDGES[i - 1];
      const hi = i < LATENCY_EDGES.length ? LATENCY_EDGES[i] : lo * 2;
      return Math.round(lo + ((rank - seen) / hist[i]) * (hi - lo));
    }
    seen += hist[i];
  }
  return null;
}
