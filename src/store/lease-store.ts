// The lease rows in MySQL (src/replica/lease.ts decides when to take and renew them). Expiry is
// compared on the database server's clock, so replicas whose clocks disagree still agree on who
// holds a lease. Both writes are single atomic statements: no read-then-write between replicas.

import type { Database } from './database';

const DB_NOW_MS = 'ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000)';

export class LeaseStore {
  constructor(private readonly db: Database) {}

  /** Takes the lease (free, expired, or already ours) for `leaseMs` from now; whether we hold it. */
  async take(name: string, owner: string, leaseMs: number): Promise<boolean> {
    const knex = this.db.knex;
    let taken = affected(await knex.raw(
      `UPDATE leases SET owner = ?, expires_at = ${DB_NOW_MS} + ? WHERE name = ? AND (owner = ? OR expires_at < ${DB_NOW_MS})`,
      [owner, leaseMs, name, owner],
    ));
    if (taken === 0) {
      taken = affected(await knex.raw(`INSERT IGNORE INTO leases (name, owner, expires_at) VALUES (?, ?, ${DB_NOW_MS} + ?)`, [name, owner, leaseMs]));
    }
    return taken > 0;
  }

  /** Hands the lease back (when it is ours) so another replica takes it over at once. */
  async release(name: string, owner: string): Promise<void> {
    await this.db.knex('leases').where({ name, owner }).update({ expires_at: 0 });
  }
}

function affected(result: unknown): number {
  const header = Array.isArray(result) ? result[0] : result;
  return Number((header as { affectedRows?: number })?.affectedRows ?? 0);
}
