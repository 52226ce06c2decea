// Snapshots of the folded state: the newest is loaded at start, old ones are pruned.

import type { Database } from './database';
import { SnapshotRow } from './models';

export interface Snapshot { seq: number; above: number[]; at: number; events: number; state: string }

export class SnapshotStore {
  constructor(private readonly db: Database) {}

  async save(s: Snapshot, keep: number): Promise<void> {
    await this.db.knex.transaction(async (trx) => {
      await SnapshotRow.query(trx).insert({ seq: s.seq, above: JSON.stringify(s.above), at: s.at, events: s.events, state: s.state });
      const newest = await SnapshotRow.query(trx).select('id').orderBy('id', 'desc').limit(keep);
      const kept = newest.map((r) => r.id);
      await SnapshotRow.query(trx).whereNotIn('id', kept).delete();
    });
  }

  async latest(): Promise<Snapshot | null> {
    const row = await SnapshotRow.query(this.db.knex).orderBy('id', 'desc').first();
    if (!row) return null;
    return { seq: Number(row.seq), above: JSON.parse(row.above), at: Number(row.at), events: row.events, state: row.state };
  }

  /** Age and position of the newest snapshot without loading its state. */
  async info(): Promise<{ seq: number; at: number } | null> {
    const row = await SnapshotRow.query(this.db.knex).select('seq', 'at').orderBy('id', 'desc').first();
    return row ? { seq: Number(row.seq), at: Number(row.at) } : null;
  }
}
