// Which admin sessions exist. The encrypted cookie says who you are; a row in admin_sessions says the
// session is still open. Logout deletes the row, so a kept copy of the cookie stops working on every
// replica. Validity is cached for under a second, so a logout elsewhere is honoured within that.

import { randomBytes } from 'node:crypto';
import type { Database } from '../store/database';

const CACHE_MS = 500;

export class SessionStore {
  private readonly valid = new Map<string, number>(); // sid → cached until (ms)

  constructor(private readonly db: Database) {}

  async create(now: number, maxAgeMs: number): Promise<string> {
    const sid = randomBytes(24).toString('base64url');
    await this.db.knex('admin_sessions').insert({ sid, created_at: now, expires_at: now + maxAgeMs });
    // Expired rows are removed now and then, at login, so the table stays small.
    await this.db.knex('admin_sessions').where('expires_at', '<', now).delete();
    return sid;
  }

  async isOpen(sid: string, now: number): Promise<boolean> {
    const until = this.valid.get(sid);
    if (until !== undefined && until > now) return true;
    const row = await this.db.knex('admin_sessions').where({ sid }).first('expires_at');
    if (!row || Number(row.expires_at) <= now) { this.valid.delete(sid); return false; }
    if (this.valid.size > 1000) this.valid.clear();
    this.valid.set(sid, now + CACHE_MS);
    return true;
  }

  async close(sid: string): Promise<boolean> {
    this.valid.delete(sid);
    return (await this.db.knex('admin_sessions').where({ sid }).delete()) > 0;
  }

  /** Ends every other session (after a password change). */
  async closeOthers(sid: string): Promise<number> {
    this.valid.clear();
    return this.db.knex('admin_sessions').whereNot({ sid }).delete();
  }
}
