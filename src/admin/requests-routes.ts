// The request log and its charts: GET /admin/requests (a filtered page, newest first),
// GET /admin/requests.csv (the same filters, streamed) and GET /admin/stats?window=1h|24h|7d.

import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { CSV_HEADER, csvLine, requestRow } from '../request-log/request-rows';
import { STATS_WINDOWS } from '../request-log/stats';
import { REQUEST_OUTCOMES } from '../request-log/entry';
import type { Runtime } from '../runtime';
import type { RequestFilter } from '../store/request-log-store';
import { invalid, optionalEnum, optionalText, pageQuery, single } from './schemas';

export function requestsRoutes(app: FastifyInstance, rt: Runtime): void {
  const log = rt.requestLog;
  const names = () => rt.projection.state.names;

  app.get('/requests', async (req) => {
    const q = req.query as Record<string, unknown>;
    const { page, limit } = pageQuery(q, 50);
    const f = requestFilter(rt, q);
    const [rows, total] = await Promise.all([log.store.page(f, limit, (page - 1) * limit), log.store.count(f)]);
    const n = names();
    return { requests: rows.map((r) => requestRow(r, n)), total, page, limit, total_pages: Math.ceil(total / limit) };
  });

  app.get('/requests.csv', async (req, reply) => {
    const f = requestFilter(rt, req.query as Record<string, unknown>);
    async function* lines(): AsyncGenerator<string> {
      yield CSV_HEADER;
      for await (const chunk of log.store.stream(f)) {
        const n = names();
        yield chunk.map((r) => csvLine(requestRow(r, n))).join('');
      }
    }
    const stamp = new Date(rt.projection.now()).toISOString().replace(/[:.]/g, '-');
    reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="requests-${stamp}.csv"`);
    return reply.send(Readable.from(lines()));
  });

  // The key table's small trend: attempts per hour over the last day for the keys on its page.
  app.get('/key-trends', async (req) => {
    const q = req.query as Record<string, unknown>;
    const raw = optionalText('ids', q.ids, 100 * 40) ?? '';
    const ids = raw.split(',').map((s) => s.trim()).filter(Boolean);
    if (ids.length > 100) throw invalid('ids', 'ids may name at most 100 keys');
    const hour = 3_600_000;
    const now = rt.projection.now();
    const first = Math.floor(now / hour) * hour - 23 * hour;
    const trends: Record<string, number[]> = Object.fromEntries(ids.map((id) => [id, new Array<number>(24).fill(0)]));
    for (const r of await log.store.keyTrends(ids, first, hour)) {
      const i = Math.round((r.t - first) / hour);
      if (trends[r.key_id] && i >= 0 && i < 24) trends[r.key_id][i] += r.n;
    }
    return { bucket_seconds: 3600, since: new Date(first).toISOString(), trends };
  });

  app.get('/stats', async (req) => {
    const q = req.query as Record<string, unknown>;
    const window = optionalEnum('window', q.window, STATS_WINDOWS) ?? '1h';
    return log.stats.get(window);
  });
}

/** The filters shared by the page and the CSV; each bad one is a 400 naming it. */
export function requestFilter(rt: Runtime, q: Record<string, unknown>): RequestFilter {
  const f: RequestFilter = {};
  const key = optionalText('key_id', q.key_id, 256);
  if (key !== undefined) {
    const r = rt.commands.resolve(key);
    f.keyId = r.ok ? r.key.id : key.toLowerCase(); // a deleted key is still found by its id
  }
  f.model = optionalText('model', q.model, 200);
  f.outcome = optionalEnum('outcome', q.outcome, REQUEST_OUTCOMES);
  const status = optionalText('status', q.status, 8);
  if (status === 'ok' || status === 'error') f.status = status;
  else if (status !== undefined) {
    if (!/^[1-5]\d\d$/.test(status)) throw invalid('status', 'status must be an HTTP status (100 to 599), ok or error');
    f.status = Number(status);
  }
  f.since = time('since', q.since);
  f.until = time('until', q.until);
  if (f.since !== undefined && f.until !== undefined && f.since >= f.until) throw invalid('until', 'until must be later than since');
  return f;
}

function time(name: string, raw: unknown): number | undefined {
  const v = single(name, raw);
  if (v === undefined || v.trim() === '') return undefined;
  const ms = /^\d{4}-\d{2}-\d{2}/.test(v) ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms)) throw invalid(name, `${name} must be an ISO-8601 time, e.g. 2026-12-01T10:00:00Z`);
  return ms;
}
