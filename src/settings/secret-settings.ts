// Secret settings (APP_API_KEY, the admin password) live in the meta table as hashes, never in events.
// The environment gives the start value; an admin change overrides it and survives restarts.
//
// The admin password is the one set last, by any of: the dashboard, `npm run reset-admin-password`,
// or a start with an ADMIN_PASSWORD value that differs from the one the previous starts had. So a
// forgotten dashboard password is recovered by starting once with a new ADMIN_PASSWORD, while
// restarting with the same ADMIN_PASSWORD never undoes a change made in the dashboard.

import { createHash, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import type { MetaStore } from '../store/meta-store';

const APP_KEY = 'app_api_key_sha256';
const ADMIN = 'admin_password_scrypt'; // set from the dashboard: wins over ADMIN_PASSWORD
const GENERATED = 'admin_password_generated'; // used only while neither of the others exists
const ENV_SEEN = 'admin_password_env_scrypt'; // the ADMIN_PASSWORD value the last start saw (hashed)

const sha256 = (s: string) => createHash('sha256').update(s).digest();

export class SecretSettings {
  private appKeyHash: Buffer | null = null;
  private adminHash: string | null = null;

  constructor(private readonly meta: MetaStore) {}

  /** Reads the stored values; the environment's values apply only where no admin change exists. */
  /**
   * `adminPasswordReset`: ADMIN_PASSWORD changed since the last start and replaced a password set in
   * the dashboard (the caller ends every open session, as a password change does).
   */
  async load(env: { appApiKey: string | undefined; adminPassword: string | undefined }): Promise<{ generatedPassword: string | null; adminPasswordReset: boolean }> {
    const storedApp = await this.meta.get(APP_KEY);
    if (storedApp !== null) this.appKeyHash = storedApp === '' ? null : Buffer.from(storedApp, 'hex');
    else this.appKeyHash = env.appApiKey ? sha256(env.appApiKey) : null;

    let generatedPassword: string | null = null;
    let adminPasswordReset = false;
    let storedAdmin = await this.meta.get(ADMIN);
    if (env.adminPassword) {
      const seen = await this.meta.get(ENV_SEEN);
      const isNew = seen === null || !verifyPassword(env.adminPassword, seen);
      if (isNew) await this.meta.set(ENV_SEEN, hashPassword(env.adminPassword));
      // A first ADMIN_PASSWORD seen after a dashboard change (an upgrade from before ENV_SEEN) leaves it be.
      if (isNew && seen !== null && storedAdmin !== null) {
        await this.meta.delete(ADMIN);
        storedAdmin = null;
        adminPasswordReset = true;
      }
    }
    if (storedAdmin !== null) this.adminHash = storedAdmin;
    else if (env.adminPassword) this.adminHash = hashPassword(env.adminPassword);
    else if ((this.adminHash = await this.meta.get(GENERATED)) === null) {
      generatedPassword = randomBytes(12).toString('base64url');
      this.adminHash = await this.meta.setIfAbsent(GENERATED, hashPassword(generatedPassword));
      if (!verifyPassword(generatedPassword, this.adminHash)) generatedPassword = null; // another replica won
    }
    return { generatedPassword, adminPasswordReset };
  }

  /** Re-reads after another replica changed a secret setting. */
  async reload(env: { appApiKey: string | undefined; adminPassword: string | undefined }): Promise<void> {
    await this.load(env);
  }

  get appApiKeySet(): boolean { return this.appKeyHash !== null; }

  /** Constant time in the length of the hash, whatever the input. */
  checkAppApiKey(provided: string | undefined): boolean {
    if (!this.appKeyHash) return true;
    if (provided === undefined) return false;
    return timingSafeEqual(sha256(provided), this.appKeyHash);
  }

  checkAdminPassword(password: string): boolean {
    return this.adminHash !== null && verifyPassword(password, this.adminHash);
  }

  async setAppApiKey(value: string): Promise<void> {
    const hash = value === '' ? null : sha256(value);
    await this.meta.set(APP_KEY, hash ? hash.toString('hex') : '');
    this.appKeyHash = hash;
  }

  async setAdminPassword(password: string): Promise<void> {
    const hash = hashPassword(password);
    await this.meta.set(ADMIN, hash);
    this.adminHash = hash;
  }

  /**
   * A reset from the command line: `password` becomes the admin password, and the ADMIN_PASSWORD
   * the service is configured with counts as seen, so the next start does not replace the reset.
   */
  async resetAdminPassword(password: string, envPassword: string | undefined): Promise<void> {
    await this.setAdminPassword(password);
    if (envPassword) await this.meta.set(ENV_SEEN, hashPassword(envPassword));
  }
}

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  return `scrypt:${salt.toString('hex')}:${scryptSync(password, salt, 32).toString('hex')}`;
}

export function verifyPassword(password: string, stored: string): boolean {
  const [scheme, salt, hash] = stored.split(':');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'hex');
  const actual = scryptSync(password, Buffer.from(salt, 'hex'), expected.length);
  return timingSafeEqual(actual, expected);
}
