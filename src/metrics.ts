// Prometheus series. One registry per runtime (tests run several servers in one process). The series
// observed or counted on every proxied request are LightHistograms and LightCounters (light-*.ts).

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { LightCounter } from './light-counter';
import { LightHistogram } from './light-histogram';

export function createMetrics() {
  const registry = new Registry();
  // Counted as a plain number on the hot path (two per stream) and read when scraped.
  const streams = { open: 0, inc() { streams.open++; }, dec() { streams.open--; } };
  collectDefaultMetrics({ register: registry });
  const m = {
    registry,
    requests: new LightCounter('orp_http_requests_total', 'HTTP requests by route and status', ['route', 'status'] as const, registry),
    upstreamAttempts: new LightCounter('orp_upstream_attempts_total', 'Upstream attempts by outcome class (success, credential, quota, rate_limit, transient, caller, aborted)', ['class'] as const, registry),
    failovers: new Counter({ name: 'orp_failovers_total', help: 'Times a request moved on to another key', registers: [registry] }),
    keys: new Gauge({ name: 'orp_keys', help: 'Keys by status', labelNames: ['status'] as const, registers: [registry] }),
    pickSeconds: new LightHistogram('orp_key_pick_seconds', 'Time to pick a key', [1e-7, 5e-7, 1e-6, 2e-6, 5e-6, 1e-5, 1e-4, 1e-3], registry),
    upstreamFirstByteSeconds: new LightHistogram('orp_upstream_first_byte_seconds', 'Upstream time to response headers', [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60], registry),
    upstreamTotalSeconds: new LightHistogram('orp_upstream_total_seconds', 'Upstream time to the end of the response', [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 180, 600], registry),
    streams,
    streamsInFlight: new Gauge({ name: 'orp_streams_in_flight', help: 'Streams being relayed now', registers: [registry], collect() { this.set(streams.open); } }),
    eventsAppended: new Counter({ name: 'orp_events_appended_total', help: 'Events appended to the log', registers: [registry] }),
    flushSeconds: new Histogram({ name: 'orp_event_flush_seconds', help: 'Time to append one batch', buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1], registers: [registry] }),
    snapshotAgeSeconds: new Gauge({ name: 'orp_snapshot_age_seconds', help: 'Age of the newest snapshot (-1: none yet)', registers: [registry] }),
    eventsSinceSnapshot: new Gauge({ name: 'orp_events_since_snapshot', help: 'Events folded since the newest snapshot', registers: [registry] }),
  };
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Counts and times every batch the projection appends, from the runtime's first append on. */
export function observeAppends(m: Metrics, appended: { subscribe(next: (b: { events: number; ms: number }) => void): unknown }): void {
  appended.subscribe(({ events, ms }) => {
    m.eventsAppended.inc(events);
    m.flushSeconds.observe(ms / 1000);
  });
}
