// The append-only event log. Appends are one transaction per batch; reads page by seq.

import type { Knex } from 'knex';
import { decodeEvent, type Decoded, type EventRowData } from '../events/decode';
import type { EventType, NewEvent, StoredEvent } from '../events/types';
import { EventRow } from './models';
import type { Database } from './database';

export interface AuditQuery { page: number; limit: number; keyId?: string; type?: EventType; types?: readonly EventType[] }

export class EventStore {
  constructor(private readonly db: Database, readonly origin: string) {}

  private get knex(): Knex { return this.db.knex; }

  /** Appends the events in one transaction; returns them with their seq, in order. */
  async append(events: readonly NewEvent[]): Promise<StoredEvent[]> {
    if (events.length === 0) return [];
    return this.knex.transaction(async (trx) => {
      const out: StoredEvent[] = [];
      for (const e of events) {
        const [seq] = await trx('key_events').insert(this.row(e));
        out.push({ ...e, seq: Number(seq), origin: this.origin } as StoredEvent);
      }
      return out;
    });
  }

  /** Bulk load for benchmarks and imports: no seqs returned. */
  async appendBulk(events: readonly NewEvent[], chunk = 500): Promise<void> {
    await this.knex.transaction(async (trx) => {
      for (let i = 0; i < events.length; i += chunk) {
        await trx('key_events').insert(events.slice(i, i + chunk).map((e) => this.row(e)));
      }
    });
  }

  /** Events with seq > after, oldest first. */
  async readAfter(after: number, limit = 5000): Promise<Decoded[]> {
    const rows = await EventRow.query(this.knex).where('seq', '>', after).orderBy('seq').limit(limit);
    return rows.map((r) => decodeEvent(r as unknown as EventRowData));
  }

  async readSeqs(seqs: readonly number[]): Promise<Decoded[]> {
    if (seqs.length === 0) return [];
    const rows = await EventRow.query(this.knex).whereIn('seq', seqs as number[]).orderBy('seq');
    return rows.map((r) => decodeEvent(r as unknown as EventRowData));
  }

  async maxSeq(): Promise<number> {
    const row = await this.knex('key_events').max({ m: 'seq' }).first();
    return Number(row?.m ?? 0);
  }

  /** The audit view: newest first, filtered by key and type, paged. */
  async page(q: AuditQuery): Promise<{ events: StoredEvent[]; total: number }> {
    const base = () => {
      let b = EventRow.query(this.knex);
      if (q.keyId) b = b.where('key_id', q.keyId);
      if (q.type) b = b.where('type', q.type);
      if (q.types) b = b.whereIn('type', q.types as EventType[]);
      return b;
    };
    const [{ n }] = (await base().count({ n: '*' })) as unknown as { n: number | string }[];
    const rows = await base().orderBy('seq', 'desc').offset((q.page - 1) * q.limit).limit(q.limit);
    const events: StoredEvent[] = [];
    for (const r of rows) {
      const d = decodeEvent(r as unknown as EventRowData);
      if (d.ok) events.push(d.event);
    }
    return { events, total: Number(n) };
  }

  private row(e: NewEvent) {
    return { at: e.at, type: e.type, key_id: e.key_id, actor: e.actor, origin: this.origin, data: JSON.stringify(e.data) };
  }
}
