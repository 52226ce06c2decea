// Sets a new admin password in the database: for a password changed in the dashboard and then
// forgotten. Every admin session ends. The database is the one the service's configuration names
// (environment or .env). With SQLite, stop the service first (it holds the file and the old password
// in memory); with MySQL the running replicas pick the new password up at once.
//
//   npm run reset-admin-password                                  a generated password, printed once
//   NEW_ADMIN_PASSWORD=… npm run reset-admin-password             that password
//   printf '%s\n' "$PASSWORD" | npm run reset-admin-password      read from stdin
//   in the image: docker exec -it orp node dist/scripts/reset-admin-password.js
//
// ADMIN_PASSWORD: the reset wins over the value the service is configured with now; a later start
// with a *different* ADMIN_PASSWORD value replaces it again (src/settings/secret-settings.ts).

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { ConfigError, loadConfig, parseConfig } from '../src/config';
import { MIN_PASSWORD } from '../src/admin/settings-routes';
import { SECRET_CHANGED } from '../src/domain/evolve';
import { SecretSettings } from '../src/settings/secret-settings';
import { openDatabase } from '../src/store/database';
import { EventStore } from '../src/store/event-store';
import { MetaStore } from '../src/store/meta-store';
import { SessionStore } from '../src/store/session-store';
import { claimSqliteFile, releaseSqliteFile } from '../src/store/sqlite-owner';

export class ResetError extends Error {}

export interface ResetOptions {
  env: Record<string, string | undefined>;
  /** The password piped in, when stdin is not a terminal. */
  stdin?: string;
  dotenv?: boolean;
}

export interface ResetReport { password: string; generated: boolean; sessionsEnded: number }

export async function resetAdminPassword(o: ResetOptions): Promise<ResetReport> {
  const piped = o.stdin?.replace(/\r?\n$/, '');
  const given = o.env.NEW_ADMIN_PASSWORD || piped || undefined;
  const password = given ?? randomBytes(12).toString('base64url');
  if (password.length < MIN_PASSWORD) throw new ResetError(`the new password must be at least ${MIN_PASSWORD} characters`);
  if (password.length > 256) throw new ResetError('the new password must be at most 256 characters');
  const config = o.dotenv ? loadConfig(o.env as NodeJS.ProcessEnv) : parseConfig(o.env);
  if (config.dbType === 'sqlite' && !existsSync(config.sqlitePath)) {
    throw new ResetError(`no database at ${config.sqlitePath}: set DB_CONNECTION_STRING_SQLITE to the service's file`);
  }
  const db = await openDatabase(config);
  const origin = `${hostname()}:${process.pid}:reset-admin-password:${randomBytes(3).toString('hex')}`;
  const meta = new MetaStore(db);
  let claimed = false;
  try {
    if (db.type === 'sqlite') {
      await claimSqliteFile(meta, config.sqlitePath, origin).catch((err: Error) => { throw new ResetError(err.message); });
      claimed = true;
    }
    await new SecretSettings(meta).resetAdminPassword(password, config.adminPassword);
    const sessionsEnded = await new SessionStore(db).closeAll();
    // In the history, and the signal for running replicas to re-read the password.
    await new EventStore(db, origin).append([
      { type: 'SettingsChanged', at: Date.now(), key_id: null, actor: 'system', data: { changes: { admin_password: SECRET_CHANGED } } },
    ]);
    return { password, generated: given === undefined, sessionsEnded };
  } finally {
    if (claimed) await releaseSqliteFile(meta, origin).catch(() => undefined);
    await db.knex.destroy();
  }
}

async function readStdin(): Promise<string | undefined> {
  if (process.stdin.isTTY) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return chunks.length ? Buffer.concat(chunks).toString('utf8') : undefined;
}

if (require.main === module) {
  readStdin()
    .then((stdin) => resetAdminPassword({ env: process.env, stdin, dotenv: true }))
    .then((r) => {
      if (r.generated) process.stdout.write(`\n  New admin password (generated, shown once): ${r.password}\n\n`);
      else process.stdout.write('The admin password is reset.\n');
      process.stdout.write(`${r.sessionsEnded} admin session(s) ended. Log in at /admin/login.\n`);
    })
    .catch((err) => {
      const known = err instanceof ResetError || err instanceof ConfigError;
      process.stderr.write(`reset-admin-password: ${known ? err.message : (err as Error).stack}\n`);
      process.exit(known ? 2 : 1);
    });
}
