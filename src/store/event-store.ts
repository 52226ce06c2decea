// The append-only event log. Appends are one transaction per batch; reads page by seq.

import type { Database as Sqlite } from 'better-sqlite3';
import type { Knex } from 'knex';
import { decodeEvent, type Decoded, type EventRowData } from '../events/decode';
import type { EventType, NewEvent, StoredEvent } from '../events/types';
import { EventRow } from './models';
import type { Database } from './database';
import { onSqliteConnection, writeWhenFree } from './sqlite-connection';

/** A page of the history: `before` (a seq) continues after the previous page; `page` alone jumps. */
export interface AuditQuery { page: number; limit: number; keyId?: string; type?: EventType; types?: readonly EventType[]; before?: number }

/** What the log itself says up to a seq, to check a snapshot against. */
export interface LogFacts { maxSeq: number; keysAdded: number; liveKeys: number }

const MEMBERSHIP = ['KeyAdded', 'KeyDeleted'];

type EventRowIn = { at: number; type: string; key_id: string | null; actor: string; origin: string; data: string };
const appenders = new WeakMap<Sqlite, (rows: EventRowIn[]) => Promise<number[]>>();

function prepareAppend(conn: Sqlite): (rows: EventRowIn[]) => Promise<number[]> {
  const insert = conn.prepare('INSERT INTO key_events (at, type, key_id, actor, origin, data) VALUES (?, ?, ?, ?, ?, ?)');
  const tx = conn.transaction((rows: EventRowIn[]) => rows.map((r) => Number(insert.run(r.at, r.type, r.key_id, r.actor, r.origin, r.data).lastInsertRowid)));
  // The write lock first (the request log's thread writes too), waited for without blocking the event loop.
  return (rows) => writeWhenFree(conn, () => tx.immediate(rows));
}

export class EventStore {
  constructor(private readonly db: Database, readonly origin: string) {}

  private get knex(): Knex { return this.db.knex; }

  /** Appends the events in one transaction; returns them with their seq, in order. */
  async append(events: readonly NewEvent[]): Promise<StoredEvent[]> {
    if (events.length === 0) return [];
    if (this.db.type === 'sqlite') {
      // A statement prepared once: building each flush's insert through knex cost ~2 ms a flush.
      const seqs = await onSqliteConnection(this.knex, appenders, prepareAppend, (append) => append(events.map((e) => this.row(e))));
      return events.map((e, i) => ({ ...e, seq: seqs[i], origin: this.origin } as StoredEvent));
    }
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

  /**
   * Up to `seq` (and the seqs in `above`): how many KeyAdded events there are, and how many keys
   * exist, i.e. whose last KeyAdded/KeyDeleted is a KeyAdded. One grouped pass over the index on
   * (type, seq).
   */
  async facts(seq: number, above: readonly number[] = []): Promise<LogFacts> {
    const upTo = (q: Knex.QueryBuilder) => (above.length ? q.where((w) => w.where('seq', '<=', seq).orWhereIn('seq', above as number[])) : q.where('seq', '<=', seq));
    const last = upTo(this.knex('key_events').select('key_id').max({ m: 'seq' }).whereIn('type', MEMBERSHIP)).groupBy('key_id').as('last');
    const [live] = await this.knex('key_events as e').join(last, 'e.seq', 'last.m').where('e.type', 'KeyAdded').count({ n: '*' });
    const [added] = await upTo(this.knex('key_events').where('type', 'KeyAdded')).count({ n: '*' });
    return { maxSeq: await this.maxSeq(), keysAdded: Number(added.n), liveKeys: Number(live.n) };
  }

  /** For each id, whether the log's last word on it is KeyAdded or KeyDeleted (absent: never added). */
  async membership(ids: readonly string[]): Promise<Map<string, 'KeyAdded' | 'KeyDeleted'>> {
    const out = new Map<string, 'KeyAdded' | 'KeyDeleted'>();
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500) as string[];
      const last = this.knex('key_events').select('key_id').max({ m: 'seq' }).whereIn('type', MEMBERSHIP).whereIn('key_id', chunk).groupBy('key_id').as('last');
      const rows = await this.knex('key_events as e').join(last, 'e.seq', 'last.m').select('e.key_id', 'e.type');
      for (const r of rows as { key_id: string; type: 'KeyAdded' | 'KeyDeleted' }[]) out.set(r.key_id, r.type);
    }
    return out;
  }

  /**
   * The audit view: newest first, filtered by key and type, paged by seq (keyset): each page is the
   * `limit` events below a seq, read through the (key_id, seq) / (type, seq) indexes. A page asked for
   * by number first finds its starting seq on the index alone, without reading the skipped rows.
   */
  async page(q: AuditQuery): Promise<{ events: StoredEvent[]; total: number; nextBefore: number | null }> {
    const filter = <B extends Knex.QueryBuilder>(b: B): B => {
      if (q.keyId) b.where('key_id', q.keyId);
      if (q.type) b.where('type', q.type);
      if (q.types) b.whereIn('type', q.types as EventType[]);
      return b;
    };
    const base = () => filter(this.knex('key_events'));
    const [{ n }] = (await base().count({ n: '*' })) as unknown as { n: number | string }[];
    let before = q.before;
    if (before === undefined && q.page > 1) {
      const start = await base().select('seq').orderBy('seq', 'desc').offset((q.page - 1) * q.limit).first();
      before = start ? Number(start.seq) + 1 : 0;
    }
    const rows = before === 0 ? [] : await EventRow.query(this.knex)
      .modify((b) => { filter(b as unknown as Knex.QueryBuilder); if (before !== undefined) b.where('seq', '<', before); })
      .orderBy('seq', 'desc').limit(q.limit);
    const events: StoredEvent[] = [];
    for (const r of rows) {
      const d = decodeEvent(r as unknown as EventRowData);
      if (d.ok) events.push(d.event);
    }
    const last = rows.length === q.limit ? Number(rows[rows.length - 1].seq) : null;
    return { events, total: Number(n), nextBefore: last };
  }

  private row(e: NewEvent): EventRowIn {
    return { at: e.at, type: e.type, key_id: e.key_id, actor: e.actor, origin: this.origin, data: JSON.stringify(e.data) };
  }
}
