// The secret admin session cookies are encrypted and signed with. SESSION_SECRET when it is set (it
// never touches the database); otherwise one generated once and kept in the meta table so restarts
// and replicas share it. When KEY_ENCRYPTION_SECRET is set, that stored secret is sealed with it
// (AES-256-GCM, like the upstream keys), so a database backup alone does not hold it.
//
// The stored secret alone cannot forge a session anyway: a cookie must also carry a session id whose
// hash is in admin_sessions, and the table holds only hashes (src/store/session-store.ts).

import { randomBytes } from 'node:crypto';
import type { Config } from '../config';
import type { Log } from '../log';
import type { MetaStore } from '../store/meta-store';
import { SEALED_PREFIX, SESSION_SECRET_NAME, SecretBox } from '../store/secret-box';

export async function sessionSecret(config: Pick<Config, 'sessionSecret' | 'keyEncryptionSecret'>, meta: MetaStore, log: Log): Promise<string> {
  if (config.sessionSecret) return config.sessionSecret;
  const box = config.keyEncryptionSecret ? new SecretBox(config.keyEncryptionSecret) : null;
  const stored = await meta.setIfAbsent(SESSION_SECRET_NAME, storedForm(randomBytes(32).toString('base64url'), box));
  if (!stored.startsWith(SEALED_PREFIX)) {
    if (box) await meta.set(SESSION_SECRET_NAME, storedForm(stored, box)); // kept plain before KEY_ENCRYPTION_SECRET was set
    return stored;
  }
  if (box) {
    try { return box.open(stored.slice(SEALED_PREFIX.length)); } catch { /* sealed under another secret: below */ }
  }
  // Unopenable (KEY_ENCRYPTION_SECRET changed or was removed): a new secret; open sessions end.
  log.warn('the stored session secret cannot be opened with the current KEY_ENCRYPTION_SECRET; a new one is generated and admins must log in again');
  const fresh = randomBytes(32).toString('base64url');
  await meta.set(SESSION_SECRET_NAME, storedForm(fresh, box));
  return fresh;
}

export function storedForm(secret: string, box: SecretBox | null): string {
  return box ? SEALED_PREFIX + box.seal(secret) : secret;
}
