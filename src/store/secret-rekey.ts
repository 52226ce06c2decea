// Encrypts the stored upstream keys that are plain, and re-encrypts the encrypted ones under a new
// secret, in one transaction: every row opens with the old secret or nothing is written.

import { MetaRow, SecretRow } from './models';
import type { Database } from './database';
import { SEALED_PREFIX, SESSION_SECRET_NAME, SecretBox } from './secret-box';
import { CHECK_NAME, CHECK_TEXT } from './secret-store';

export class RekeyError extends Error {}

export interface RekeyReport { total: number; encrypted: number; reencrypted: number }

/**
 * `from`: the secret the encrypted rows are sealed with now (omit when they are sealed with `to`
 * already, or when every row is plain). `to`: the secret to seal every row with.
 */
export async function rekeySecrets(db: Database, from: string | undefined, to: string): Promise<RekeyReport> {
  if (!to) throw new RekeyError('the new secret is empty');
  const target = new SecretBox(to);
  const current = from ? new SecretBox(from) : target;
  const which = from ? 'the old secret (--from-secret / OLD_KEY_ENCRYPTION_SECRET)' : 'the new secret';
  return db.knex.transaction(async (trx) => {
    const check = await MetaRow.query(trx).findById(CHECK_NAME);
    if (check && !opens(current, check.value, CHECK_TEXT)) {
      throw new RekeyError(from
        ? `${which} does not open the stored keys: nothing was changed`
        : 'the stored keys are encrypted under another secret: pass it as --from-secret or OLD_KEY_ENCRYPTION_SECRET; nothing was changed');
    }
    const rows = await SecretRow.query(trx);
    const report: RekeyReport = { total: rows.length, encrypted: 0, reencrypted: 0 };
    const sealed: { key_id: string; secret: string }[] = [];
    for (const row of rows) {
      let plain = row.secret;
      if (row.encrypted) {
        try { plain = current.open(row.secret); } catch {
          throw new RekeyError(`${which} does not open the stored key ${row.key_id}: nothing was changed`);
        }
        report.reencrypted++;
      } else report.encrypted++;
      sealed.push({ key_id: row.key_id, secret: target.seal(plain) });
    }
    for (const s of sealed) await SecretRow.query(trx).findById(s.key_id).patch({ secret: s.secret, encrypted: true });
    // The generated admin session secret moves to the new secret too, so sessions survive a rekey.
    const session = await MetaRow.query(trx).findById(SESSION_SECRET_NAME);
    if (session) {
      let plain: string | null = session.value;
      if (plain.startsWith(SEALED_PREFIX)) { try { plain = current.open(plain.slice(SEALED_PREFIX.length)); } catch { plain = null; } }
      if (plain !== null) await MetaRow.query(trx).findById(SESSION_SECRET_NAME).patch({ value: SEALED_PREFIX + target.seal(plain) });
    }
    const value = target.seal(CHECK_TEXT);
    if (check) await MetaRow.query(trx).findById(CHECK_NAME).patch({ value });
    else await MetaRow.query(trx).insert({ name: CHECK_NAME, value });
    return report;
  });
}

function opens(box: SecretBox, sealed: string, expected: string): boolean {
  try { return box.open(sealed) === expected; } catch { return false; }
}
