// The audit history as the admin reads it: a page of the event log, newest first, each event naming
// its key by the masked form the projection remembers (deleted keys included). Reads the event table,
// which is indexed by key and by type, rather than holding the history in memory.

import type { EventType } from '../events/types';
import type { PoolState } from '../domain/pool-state';
import type { EventStore } from '../store/event-store';

export interface AuditQuery { page: number; limit: number; keyId?: string; type?: EventType; types?: readonly EventType[]; before?: number }

export interface AuditEntry {
  seq: number; at: string; type: EventType; key_id: string | null; masked: string | null;
  actor: string; data: unknown;
}

/** `next_before`: pass it as `before` for the next (older) page; null on the last page. */
export interface AuditPage { events: AuditEntry[]; total: number; page: number; limit: number; total_pages: number; next_before: number | null }

export async function auditPage(events: EventStore, state: PoolState, q: AuditQuery): Promise<AuditPage> {
  const { events: rows, total, nextBefore } = await events.page(q);
  return {
    events: rows.map((e) => ({
      seq: e.seq, at: new Date(e.at).toISOString(), type: e.type, key_id: e.key_id,
      masked: e.key_id ? state.names[e.key_id] ?? null : null, actor: e.actor, data: e.data,
    })),
    total, page: q.page, limit: q.limit, total_pages: Math.ceil(total / q.limit), next_before: nextBefore,
  };
}
