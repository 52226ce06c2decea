// GET /metrics: Prometheus text from the runtime's registry. Counts every response by route and
// status (one onResponse hook for the whole app); the gauges that describe the projection are read
// when scraped, not kept up to date per event.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { KEY_STATUSES, keyStatus, type KeyStatus } from '../domain/pool-state';
import type { Runtime } from '../runtime';
import { sendError } from './errors';

// Appended events and batch times are counted by the runtime itself (observeAppends in src/metrics.ts).
export function registerMetrics(app: FastifyInstance, rt: Runtime): void {
  const m = rt.metrics;

  // Every response, /v1 included, is counted by this one hook. The route template keeps the label set
  // small: /admin/keys/:id, never one series per id. Children are looked up by route, then status, so
  // counting allocates nothing. The raw status: hijacked streams write it themselves.
  const counters = new Map<string, Map<number, { inc(): void }>>();
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const status = reply.raw.statusCode;
    let byStatus = counters.get(route);
    if (!byStatus) counters.set(route, (byStatus = new Map()));
    let c = byStatus.get(status);
    // /api/v1 counts as /v1: one series per proxy route, whichever base URL the client uses
    if (!c) byStatus.set(status, (c = m.requests.labels(route.startsWith('/api/v1/') ? route.slice(4) : route, String(status))));
    c.inc();
    done();
  });

  const token = rt.config.metricsToken ? sha256(rt.config.metricsToken) : null;
  app.get('/metrics', async (req, reply) => {
    if (token && !bearerMatches(req.headers.authorization, token)) {
      return sendError(reply, 'unauthorized', 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>');
    }
    refreshGauges(rt);
    return reply.type(m.registry.contentType).send(await m.registry.metrics());
  });
}

function refreshGauges(rt: Runtime): void {
  const m = rt.metrics;
  const now = rt.projection.now();
  const counts: Record<KeyStatus, number> = { active: 0, cooling: 0, inactive: 0, disabled: 0 };
  for (const key of Object.values(rt.projection.state.keys)) counts[keyStatus(key, now)]++;
  for (const status of KEY_STATUSES) m.keys.set({ status }, counts[status]);
  const stats = rt.projection.stats;
  m.snapshotAgeSeconds.set(stats.lastSnapshotAt === null ? -1 : Math.max(0, (now - stats.lastSnapshotAt) / 1000));
  m.eventsSinceSnapshot.set(stats.eventsSinceSnapshot);
}

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** Compares hashes, so the time taken says nothing about the token or its length. */
function bearerMatches(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return timingSafeEqual(sha256(match ? match[1].trim() : ''), expected) && match !== null;
}
