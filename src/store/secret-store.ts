// Upstream key secrets, apart from the events. Encrypted when KEY_ENCRYPTION_SECRET is set.

import type { Database } from './database';
import { MetaStore } from './meta-store';
import { SecretRow } from './models';
import { SecretBox } from './secret-box';

/** A value sealed under the current secret, so a wrong secret is refused before any key is used. */
export const CHECK_NAME = 'key_encryption_check';
export const CHECK_TEXT = 'openrouter-polling';

export class SecretStore {
  private readonly box: SecretBox | null;
  private readonly meta: MetaStore;

  constructor(private readonly db: Database, encryptionSecret: string | undefined) {
    this.box = encryptionSecret ? new SecretBox(encryptionSecret) : null;
    this.meta = new MetaStore(db);
  }

  /**
   * Refuses to start with a wrong or missing KEY_ENCRYPTION_SECRET, so garbage is never sent upstream.
   * The first start with a secret records a check value sealed under it.
   */
  async verify(): Promise<void> {
    const check = await this.meta.get(CHECK_NAME);
    const encryptedRows = await SecretRow.query(this.db.knex).where('encrypted', true).resultSize();
    if (!this.box) {
      if (encryptedRows > 0 || check) {
        throw new Error('KEY_ENCRYPTION_SECRET is not set, but the stored keys are encrypted: set the secret they were encrypted with');
      }
      return;
    }
    if (check) {
      try {
        if (this.box.open(check) !== CHECK_TEXT) throw new Error('mismatch');
      } catch {
        throw new Error('KEY_ENCRYPTION_SECRET does not match the secret the stored keys were encrypted with');
      }
    } else {
      await this.meta.set(CHECK_NAME, this.box.seal(CHECK_TEXT));
    }
  }

  async put(keyId: string, secret: string, now: number): Promise<void> {
    await this.putMany([{ id: keyId, secret }], now);
  }

  /**
   * The secrets of one add, in one transaction (all or none), each an atomic upsert: two replicas
   * storing the same key at once never race between a read and a write. Rows go in key order, so two
   * adds of overlapping lists lock their rows in the same order and wait for each other: in the order
   * given, MySQL deadlocked and refused nearly half of such adds.
   */
  async putMany(entries: readonly { id: string; secret: string }[], now: number): Promise<void> {
    if (!entries.length) return;
    const rows = entries.map((e) => ({ key_id: e.id, secret: this.box ? this.box.seal(e.secret) : e.secret, encrypted: this.box !== null, created_at: now }))
      .sort((a, b) => (a.key_id < b.key_id ? -1 : a.key_id > b.key_id ? 1 : 0));
    await this.db.knex.transaction(async (trx) => {
      for (let i = 0; i < rows.length; i += 500) {
        await trx('key_secrets').insert(rows.slice(i, i + 500)).onConflict('key_id').merge(['secret', 'encrypted', 'created_at']);
      }
    });
  }

  /** `storedBefore`: only rows stored earlier than this go (a fresh one may be a key being added elsewhere). */
  async delete(keyIds: readonly string[], storedBefore?: number): Promise<void> {
    if (!keyIds.length) return;
    const q = SecretRow.query(this.db.knex).whereIn('key_id', keyIds as string[]);
    await (storedBefore === undefined ? q : q.where('created_at', '<', storedBefore)).delete();
  }

  async get(keyId: string): Promise<string | null> {
    const row = await SecretRow.query(this.db.knex).findById(keyId);
    return row ? this.reveal(row) : null;
  }

  async all(): Promise<Map<string, string>> {
    const rows = await SecretRow.query(this.db.knex);
    return new Map(rows.map((r) => [r.key_id, this.reveal(r)]));
  }

  private reveal(row: SecretRow): string {
    if (!row.encrypted) return row.secret;
    if (!this.box) throw new Error('KEY_ENCRYPTION_SECRET is not set, but the stored keys are encrypted');
    try { return this.box.open(row.secret); } catch {
      throw new Error(`KEY_ENCRYPTION_SECRET cannot decrypt the stored key ${row.key_id}`);
    }
  }
}
