// The proxy's Prometheus series with their label children resolved once, so the hot path only
// increments (no label object per request).

import type { Metrics } from '../metrics';

export const ATTEMPT_CLASSES = ['success', 'credential', 'quota', 'rate_limit', 'transient', 'caller', 'aborted'] as const;
export type AttemptClass = (typeof ATTEMPT_CLASSES)[number];

interface Inc { inc(): void }

export class ProxyMetrics {
  readonly attempts = {} as Record<AttemptClass, Inc>;

  constructor(readonly m: Metrics) {
    for (const c of ATTEMPT_CLASSES) this.attempts[c] = m.upstreamAttempts.labels(c);
  }
}
