// GET /admin/events: the audit history, newest first, paged by seq (`before`, or `page` to jump),
// filtered by key and by type.

import type { FastifyInstance } from 'fastify';
import { EVENT_TYPES, type EventType } from '../events/types';
import { auditPage } from '../projection/audit-view';
import type { Runtime } from '../runtime';
import { intParam, optionalEnum, optionalText, pageQuery, single } from './schemas';

export function eventsRoutes(app: FastifyInstance, rt: Runtime): void {
  app.get('/events', async (req) => {
    const q = req.query as Record<string, unknown>;
    const { page, limit } = pageQuery(q, 20);
    const before = q.before === undefined ? undefined : intParam('before', single('before', q.before), 1, Number.MAX_SAFE_INTEGER);
    const category = optionalEnum('category', q.category, ['changes', 'usage', 'all'] as const) ?? 'all';
    return auditPage(rt.events, rt.projection.state, {
      page, limit, before, keyId: optionalText('key_id', q.key_id, 64), type: optionalEnum('type', q.type, EVENT_TYPES),
      types: category === 'all' ? undefined : category === 'usage' ? USAGE_EVENTS : CHANGE_EVENTS,
    });
  });
}

/** What the pool's traffic writes by itself: counts, failures, probes, credit checks. */
export const USAGE_EVENTS: readonly EventType[] = ['KeyUsed', 'KeyFailed', 'KeyProbed', 'KeyCreditChecked'];
/** The admin's acts and the keys' lifecycle: what the history shows by default. */
export const CHANGE_EVENTS: readonly EventType[] = EVENT_TYPES.filter((t) => !USAGE_EVENTS.includes(t));
