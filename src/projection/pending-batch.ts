// Outcomes folded but not yet durable. "Used" events coalesce: consecutive uses of one key with no
// other event of that key between them become one KeyUsed with a count, so replaying the batch
// gives the same state as folding each use did. Failures that never escalate (transient ones, a
// model's limit) coalesce the same way, and they commute with uses (neither touches what the other
// folds), so a 503 storm writes at most one KeyUsed and one KeyFailed per key and flush.

import type { EventOf, NewEvent } from '../events/types';

export class PendingBatch {
  private events: NewEvent[] = [];
  private openUse = new Map<string, EventOf<'KeyUsed'>>();
  private openFail = new Map<string, EventOf<'KeyFailed'>>();

  get size(): number { return this.events.length; }

  add(event: NewEvent): void {
    const id = event.key_id;
    if (event.type === 'KeyUsed' && id !== null) {
      const open = this.openUse.get(id);
      if (open) {
        const a = open.data;
        const b = event.data;
        open.data = {
          count: a.count + b.count,
          prompt_tokens: a.prompt_tokens + b.prompt_tokens,
          completion_tokens: a.completion_tokens + b.completion_tokens,
          total_tokens: a.total_tokens + b.total_tokens,
          last_used_at: Math.max(a.last_used_at, b.last_used_at),
          ...freeTail(open, event),
        };
        open.at = Math.max(open.at, event.at);
        return;
      }
      const copy: EventOf<'KeyUsed'> = { ...event, data: { ...event.data } };
      this.openUse.set(id, copy);
      this.events.push(copy);
      return;
    }
    if (event.type === 'KeyFailed' && id !== null && neverEscalates(event)) {
      const open = this.openFail.get(id);
      if (open && open.data.class === event.data.class && open.data.scope === event.data.scope) {
        const { free: _free, last_free_at: _last, ...latest } = event.data;
        open.data = { ...latest, count: (open.data.count ?? 1) + (event.data.count ?? 1), ...freeTail(open, event) };
        open.at = Math.max(open.at, event.at);
        return;
      }
      const copy: EventOf<'KeyFailed'> = { ...event, data: { ...event.data } };
      this.openFail.set(id, copy);
      this.events.push(copy);
      return;
    }
    if (id !== null) { this.openUse.delete(id); this.openFail.delete(id); }
    this.events.push(event);
  }

  take(): NewEvent[] {
    const out = this.events;
    this.events = [];
    this.openUse = new Map();
    this.openFail = new Map();
    return out;
  }

  /** Puts a batch that failed to append back in front, in order. */
  restore(batch: NewEvent[]): void {
    if (batch.length === 0) return;
    const later = this.take();
    for (const e of batch) this.add(e);
    for (const e of later) this.add(e);
  }
}

type Counted = EventOf<'KeyUsed'> | EventOf<'KeyFailed'>;

/** The free count and the time of the last free attempt of two coalesced events (a restart needs it). */
function freeTail(a: Counted, b: Counted): { free?: number; last_free_at?: number } {
  const free = (a.data.free ?? 0) + (b.data.free ?? 0);
  if (free === 0) return {};
  const lastOf = (e: Counted) => (e.data.free ? e.data.last_free_at ?? e.at : 0);
  return { free, last_free_at: Math.max(lastOf(a), lastOf(b)) };
}

function neverEscalates(e: EventOf<'KeyFailed'>): boolean {
  return e.data.class === 'transient' || e.data.scope === 'model' || e.data.scope === 'free';
}
