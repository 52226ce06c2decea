// GET /admin/app-status: how the process is doing, for the status page and for humans with curl.

import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import { exhausted } from '../domain/credit';
import { statusCounts } from '../projection/key-table';
import type { Runtime } from '../runtime';
import { APP_VERSION } from './package-info';

const RESOLUTION_MS = 10;
const ms = (ns: number) => Math.round((Number.isFinite(ns) ? ns : 0) / 1e4) / 100;
/** The histogram samples a timer of RESOLUTION_MS: each sample holds that interval, which is no delay. */
const delay = (ns: number) => Math.max(0, ms(ns) - RESOLUTION_MS);

export function statusRoutes(app: FastifyInstance, rt: Runtime): void {
  const loop = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  loop.enable();
  app.addHook('onClose', async () => loop.disable());

  app.get('/app-status', async () => {
    const day = await rt.requestLog.stats.get('24h');
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
      event_loop_delay_ms: { mean: delay(loop.mean), p50: delay(loop.percentile(50)), p99: delay(loop.percentile(99)), max: delay(loop.max) },
      timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      keys: counts,
      // The free tier: :free requests the pool can send in the current window, keys out of free requests today.
      free: { capacity_now: free.now, window_seconds: rt.settings.freeLimits().windowMs / 1000, keys_out_of_free_today: free.outToday },
      // Upstream attempts (one client request may try several keys), since the pool began; client
      // requests, from the request log, are counted apart below.
      requests: { total: totals.requests, failures: totals.failures, tokens: totals.tokens },
      client_requests_24h: { total: day.totals.requests, ok: day.totals.ok, errors: day.totals.errors, cost: day.totals.cost },
      credit: creditTotals(rt),
      request_log: { ...rt.requestLog.writer.stats, pruned: rt.requestLog.pruned, retention_days: rt.config.requestLogRetentionDays },
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

/** The pool's credit: what is left under the keys' limits, and how many keys have none or are spent. */
function creditTotals(rt: Runtime) {
  let remaining = 0;
  const c = { limit_remaining_sum: 0, keys_with_limit: 0, keys_without_limit: 0, keys_out_of_credit: 0, keys_unchecked: 0 };
  for (const k of Object.values(rt.projection.state.keys)) {
    if (!k.credit) { c.keys_unchecked++; continue; }
    if (k.credit.limit === null && k.credit.limit_remaining === null) { c.keys_without_limit++; continue; }
    c.keys_with_limit++;
    remaining += Math.max(0, k.credit.limit_remaining ?? 0);
    if (exhausted(k.credit)) c.keys_out_of_credit++;
  }
  c.limit_remaining_sum = Math.round(remaining * 1e6) / 1e6;
  return c;
}
