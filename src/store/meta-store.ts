// Small named values: generated secrets' hashes, the session secret, the SQLite owner.

import type { Knex } from 'knex';
import type { Database } from './database';
import { MetaRow } from './models';

export class MetaStore {
  constructor(private readonly db: Database) {}

  async get(name: string): Promise<string | null> {
    const row = await MetaRow.query(this.db.knex).findById(name);
    return row ? row.value : null;
  }

  /** An atomic upsert: no read-then-write race between replicas. */
  async set(name: string, value: string, trx?: Knex.Transaction): Promise<void> {
    const k = trx ?? this.db.knex;
    await k('meta').insert({ name, value }).onConflict('name').merge(['value']);
  }

  /** Sets the value only when none exists; returns the value that is stored afterwards. */
  async setIfAbsent(name: string, value: string): Promise<string> {
    try {
      await MetaRow.query(this.db.knex).insert({ name, value });
      return value;
    } catch {
      const existing = await this.get(name);
      if (existing === null) throw new Error(`cannot store ${name}`);
      return existing;
    }
  }

  async delete(name: string): Promise<void> {
    await MetaRow.query(this.db.knex).deleteById(name);
  }
}
