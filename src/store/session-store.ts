// Which admin sessions exist. The encrypted cookie carries the session id; admin_sessions holds only
// its SHA-256, so a copy of the database (a backup) names no session anyone could present. Logout
// deletes the row, so a kept copy of the cookie stops working on every replica. Validity is cached
// for under a second, so a logout elsewhere is honoured within that.

import { createHash, randomBytes } from 'node:crypto';
import type { Database } from './database';

const CACHE_MS = 500;

/** The stored form of a session id. */
export const sessionHash = (sid: string): string => createHash('sha256').update(sid).digest('base64url');

export class SessionStore {
  private readonly valid = new Map<string, number>(); // sid hash → cached until (ms)

  constructor(private readonly db: Database) {}

  async create(now: number, maxAgeMs: number): Promise<string> {
    const sid = randomBytes(24).toString('base64url');
    await this.db.knex('admin_sessions').insert({ sid: sessionHash(sid), created_at: now, expires_at: now + maxAgeMs });
    // Expired rows are removed now and then, at login, so the table stays small.
    await this.db.knex('admin_sessions').where('expires_at', '<', now).delete();
    return sid;
  }

  async isOpen(sid: string, now: number): Promise<boolean> {
    const hash = sessionHash(sid);
    const until = this.valid.get(hash);
    if (until !== undefined && until > now) return true;
    const row = await this.db.knex('admin_sessions').where({ sid: hash }).first('expires_at');
    if (!row || Number(row.expires_at) <= now) { this.valid.delete(hash); return false; }
    if (this.valid.size > 1000) this.valid.clear();
    this.valid.set(hash, now + CACHE_MS);
    return true;
  }

  async close(sid: string): Promise<boolean> {
    const hash = sessionHash(sid);
    this.valid.delete(hash);
    return (await this.db.knex('admin_sessions').where({ sid: hash }).delete()) > 0;
  }

  /** Ends every other session (after a password change). */
  async closeOthers(sid: string): Promise<number> {
    this.valid.clear();
    return this.db.knex('admin_sessions').whereNot({ sid: sessionHash(sid) }).delete();
  }

  /** Ends every session (a password reset from the command line). */
  async closeAll(): Promise<number> {
    this.valid.clear();
    return this.db.knex('admin_sessions').delete();
  }
}
