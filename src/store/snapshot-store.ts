// Snapshots of the folded state: the newest is loaded at start, old ones are pruned. Each names the
// format of its state (SNAPSHOT_VERSION); what a reader does with one it doubts is
// src/projection/snapshot-check.ts's business.

import type { Database } from './database';
import { SnapshotRow } from './models';

/** The format of `state` this version writes and reads: the PoolState of src/domain as JSON. */
export const SNAPSHOT_VERSION = 1;

export interface Snapshot { seq: number; above: number[]; at: number; events: number; state: string }
export interface StoredSnapshot extends Snapshot { id: number; version: number }

/** The newest snapshot, or why it cannot be read (naming it), or null when there is none. */
export type LatestSnapshot = { ok: true; snapshot: StoredSnapshot } | { ok: false; id: number; seq: number; error: string } | null;

export class SnapshotStore {
  constructor(private readonly db: Database) {}

  async save(s: Snapshot, keep: number): Promise<void> {
    await this.db.knex.transaction(async (trx) => {
      await SnapshotRow.query(trx).insert({ version: SNAPSHOT_VERSION, seq: s.seq, above: JSON.stringify(s.above), at: s.at, events: s.events, state: s.state });
      const newest = await SnapshotRow.query(trx).select('id').orderBy('id', 'desc').limit(keep);
      const kept = newest.map((r) => r.id);
      await SnapshotRow.query(trx).whereNotIn('id', kept).delete();
    });
  }

  async latest(): Promise<LatestSnapshot> {
    const row = await SnapshotRow.query(this.db.knex).orderBy('id', 'desc').first();
    if (!row) return null;
    let above: unknown;
    try { above = JSON.parse(row.above); } catch { above = null; }
    if (!Array.isArray(above) || !above.every((n) => Number.isInteger(n))) {
      return { ok: false, id: row.id, seq: Number(row.seq), error: 'its list of folded seqs ("above") is not a list of integers' };
    }
    return {
      ok: true,
      snapshot: { id: row.id, version: Number(row.version), seq: Number(row.seq), above, at: Number(row.at), events: row.events, state: row.state },
    };
  }

  /** Age and position of the newest snapshot without loading its state. */
  async info(): Promise<{ seq: number; at: number } | null> {
    const row = await SnapshotRow.query(this.db.knex).select('seq', 'at').orderBy('id', 'desc').first();
    return row ? { seq: Number(row.seq), at: Number(row.at) } : null;
  }
}
