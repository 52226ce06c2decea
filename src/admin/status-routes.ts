// GET /admin/app-status: how the process is doing, for the status page and for humans with curl.

import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import { statusCounts } from '../projection/key-table';
import type { Runtime } from '../runtime';
import { APP_VERSION } from './package-info';

const ms = (ns: number) => Math.round((Number.isFinite(ns) ? ns : 0) / 1e4) / 100;

export function statusRoutes(app: FastifyInstance, rt: Runtime): void {
  const loop = monitorEventLoopDelay({ resolution: 20 });
  loop.enable();
  app.addHook('onClose', async () => loop.disable());

  app.get('/app-status', async () => {
    const now = Date.now();
    const mem = process.memoryUsage();
    const stats = rt.projection.stats;
    const counts = statusCounts(rt.projection.state, rt.projection.now());
    const totals = rt.projection.state.totals;
    const free = rt.projection.free.capacity(rt.projection.state, rt.projection.now());
    const body = {
      status: 'ok',
      started_at: new Date(rt.startedAt).toISOString(),
      uptime_seconds: Math.round((now - rt.startedAt) / 1000),
      versions: { app: APP_VERSION, node: process.version },
      memory: { rss_bytes: mem.rss, heap_used_bytes: mem.heapUsed, heap_total_bytes: mem.heapTotal, external_bytes: mem.external },
      event_loop_delay_ms: { mean: ms(loop.mean), p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) },
      keys: counts,
      // The free tier: :free requests the pool can send in the current window, keys out of free requests today.
      free: { capacity_now: free.now, window_seconds: rt.settings.freeLimits().windowMs / 1000, keys_out_of_free_today: free.outToday },
      requests: { total: totals.requests, failures: totals.failures, tokens: totals.tokens },
      events: {
        folded: stats.folded,
        appended: stats.appended,
        pending: stats.pending,
        fold_errors: stats.foldErrors,
        since_snapshot: stats.eventsSinceSnapshot,
        last_snapshot_seq: stats.lastSnapshotSeq,
        last_snapshot_at: stats.lastSnapshotAt === null ? null : new Date(stats.lastSnapshotAt).toISOString(),
        snapshot_age_seconds: stats.lastSnapshotAt === null ? null : Math.max(0, Math.round((now - stats.lastSnapshotAt) / 1000)),
        last_flush_ms: Math.round(stats.lastFlushMs * 100) / 100,
      },
      database: { type: rt.db.type, describe: rt.db.describe, leader: rt.isLeader(), origin: rt.origin },
      replication: rt.replica ? rt.replica.status() : null,
      startup: { from_snapshot: rt.load.fromSnapshot, replayed_events: rt.load.replayed, load_ms: Math.round(rt.load.ms) },
    };
    loop.reset(); // each answer shows the delay since the previous one
    return body;
  });
}
