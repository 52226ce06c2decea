// Encrypts the stored upstream keys with KEY_ENCRYPTION_SECRET, or re-encrypts them under a new
// secret, in one transaction. Stop the service first (every replica, with MySQL): it holds the keys
// and the old secret in memory. The database is the one the service's configuration names
// (environment or .env: DB_TYPE, DB_CONNECTION_STRING_SQLITE, MYSQL_*).
//
//   encrypt plain keys:   KEY_ENCRYPTION_SECRET=new npx tsx scripts/encrypt-keys.ts
//   rotate the secret:    OLD_KEY_ENCRYPTION_SECRET=old NEW_KEY_ENCRYPTION_SECRET=new npx tsx scripts/encrypt-keys.ts
//   (or --from-secret old --to-secret new; the environment keeps them out of the shell history)
//   in the image:         node dist/scripts/encrypt-keys.js
// Then start the service with KEY_ENCRYPTION_SECRET set to the new secret.

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { ConfigError, loadConfig, parseConfig } from '../src/config';
import { openDatabase, type Database } from '../src/store/database';
import { MetaStore } from '../src/store/meta-store';
import { RekeyError, rekeySecrets, type RekeyReport } from '../src/store/secret-rekey';
import { claimSqliteFile, releaseSqliteFile } from '../src/store/sqlite-owner';

export interface EncryptKeysOptions {
  env: Record<string, string | undefined>;
  argv: string[];
  /** Read .env from the working directory, as the service does (the CLI does; tests pass env only). */
  dotenv?: boolean;
}

export class UsageError extends Error {}

export function secretsFrom(argv: string[], env: Record<string, string | undefined>): { from: string | undefined; to: string; force: boolean } {
  const flag = (name: string) => {
    const i = argv.indexOf(name);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${name} needs a value`);
    return v;
  };
  for (const a of argv) if (a.startsWith('--') && !['--from-secret', '--to-secret', '--force'].includes(a)) throw new UsageError(`unknown option ${a}`);
  const from = flag('--from-secret') ?? (env.OLD_KEY_ENCRYPTION_SECRET || undefined);
  const to = flag('--to-secret') ?? (env.NEW_KEY_ENCRYPTION_SECRET || env.KEY_ENCRYPTION_SECRET || '');
  if (!to) throw new UsageError('no target secret: set NEW_KEY_ENCRYPTION_SECRET (or KEY_ENCRYPTION_SECRET), or pass --to-secret');
  if (from !== undefined && from === to) throw new UsageError('the old and the new secret are the same');
  return { from, to, force: argv.includes('--force') };
}

export async function encryptKeys(o: EncryptKeysOptions): Promise<RekeyReport> {
  const { from, to, force } = secretsFrom(o.argv, o.env);
  // The database settings only; the service's own KEY_ENCRYPTION_SECRET plays no part here.
  const config = o.dotenv ? loadConfig(o.env as NodeJS.ProcessEnv) : parseConfig(o.env);
  if (config.dbType === 'sqlite' && !existsSync(config.sqlitePath)) {
    throw new UsageError(`no database at ${config.sqlitePath}: set DB_CONNECTION_STRING_SQLITE to the service's file`);
  }
  const db = await openDatabase(config);
  const origin = `${hostname()}:${process.pid}:encrypt-keys:${randomBytes(3).toString('hex')}`;
  const meta = new MetaStore(db);
  let claimed = false;
  try {
    if (db.type === 'sqlite') {
      // Refuses while the service runs on the file: it holds the keys and the old secret in memory.
      await claimSqliteFile(meta, config.sqlitePath, origin).catch((err: Error) => { throw new RekeyError(err.message); });
      claimed = true;
    } else if (!force) await refuseWhileReplicasRun(db);
    return await rekeySecrets(db, from, to);
  } finally {
    if (claimed) await releaseSqliteFile(meta, origin).catch(() => undefined);
    await db.knex.destroy();
  }
}

async function refuseWhileReplicasRun(db: Database): Promise<void> {
  const live = await db.knex('leases').where('expires_at', '>', Date.now()).first();
  if (live) {
    throw new RekeyError(`a replica (${live.owner}) holds a lease: stop every replica first (or pass --force if none runs)`);
  }
}

if (require.main === module) {
  encryptKeys({ env: process.env, argv: process.argv.slice(2), dotenv: true })
    .then((r) => {
      process.stdout.write(`${r.total} key(s): ${r.encrypted} encrypted, ${r.reencrypted} re-encrypted under the new secret.\n`
        + 'Start the service with KEY_ENCRYPTION_SECRET set to the new secret.\n');
    })
    .catch((err) => {
      const known = err instanceof RekeyError || err instanceof UsageError || err instanceof ConfigError;
      process.stderr.write(`encrypt-keys: ${known ? err.message : (err as Error).stack}\n`);
      process.exit(known ? 2 : 1);
    });
}
