// An in-memory stand-in for one MySQL event log shared by several replicas, with InnoDB's visibility
// rule made controllable: an append gets its seqs at once but may stay invisible (an open transaction)
// until released, so a smaller seq can appear after a larger one, or never (`failNext`: a rolled-back append).

import type { Decoded } from '../../src/events/decode';
import type { NewEvent, StoredEvent } from '../../src/events/types';
import type { EventStore } from '../../src/store/event-store';
import type { Snapshot, SnapshotStore } from '../../src/store/snapshot-store';

export class SharedLog {
  private readonly rows = new Map<number, StoredEvent>();
  private readonly hidden = new Set<number>();
  private next = 1;
  /** While set, every append stays invisible until `release` (or forever: `rollback`). */
  holding = false;
  /** When set, the next append consumes its seqs and fails, like a rolled-back transaction. */
  failNext = false;
  /** Every event appended, visible or not, in seq order. */
  get all(): StoredEvent[] { return [...this.rows.values()].sort((a, b) => a.seq - b.seq); }

  /** The EventStore one replica uses. */
  store(origin: string): EventStore {
    const store = {
      origin,
      append: async (events: readonly NewEvent[]): Promise<StoredEvent[]> => {
        const out = events.map((e) => ({ ...e, seq: this.next++, origin }) as StoredEvent);
        if (this.failNext) { this.failNext = false; throw new Error('rolled back'); }
        for (const e of out) {
          this.rows.set(e.seq, structuredClone(e));
          if (this.holding) this.hidden.add(e.seq);
        }
        return out;
      },
      readAfter: async (after: number, limit = 5000): Promise<Decoded[]> =>
        this.visible().filter((e) => e.seq > after).slice(0, limit).map((event) => ({ ok: true, event: structuredClone(event) })),
      readSeqs: async (seqs: readonly number[]): Promise<Decoded[]> => {
        const want = new Set(seqs);
        return this.visible().filter((e) => want.has(e.seq)).map((event) => ({ ok: true, event: structuredClone(event) }));
      },
      maxSeq: async () => this.next - 1,
    };
    return store as unknown as EventStore;
  }

  /** Makes every hidden append visible. */
  release(): void { this.hidden.clear(); }

  private visible(): StoredEvent[] { return this.all.filter((e) => !this.hidden.has(e.seq)); }
}

/** Snapshots kept in memory. */
export function memorySnapshots(): SnapshotStore & { saved: Snapshot[] } {
  const saved: Snapshot[] = [];
  const store = {
    saved,
    save: async (s: Snapshot) => { saved.push(s); },
    latest: async () => saved[saved.length - 1] ?? null,
    info: async () => (saved.length ? { seq: saved[saved.length - 1].seq, at: saved[saved.length - 1].at } : null),
  };
  return store as unknown as SnapshotStore & { saved: Snapshot[] };
}
