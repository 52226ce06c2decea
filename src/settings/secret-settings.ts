// Secret settings (APP_API_KEY, the admin password) live in the meta table as hashes, never in events.
// The environment gives the start value; an admin change overrides it and survives restarts.

import { createHash, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import type { MetaStore } from '../store/meta-store';

const APP_KEY = 'app_api_key_sha256';
const ADMIN = 'admin_password_scrypt'; // set from the dashboard: wins over ADMIN_PASSWORD
const GENERATED = 'admin_password_generated'; // used only while neither of the others exists

const sha256 = (s: string) => createHash('sha256').update(s).digest();

export class SecretSettings {
  private appKeyHash: Buffer | null = null;
  private adminHash: string | null = null;

  constructor(private readonly meta: MetaStore) {}

  /** Reads the stored values; the environment's values apply only where no admin change exists. */
  async load(env: { appApiKey: string | undefined; adminPassword: string | undefined }): Promise<{ generatedPassword: string | null }> {
    const storedApp = await this.meta.get(APP_KEY);
    if (storedApp !== null) this.appKeyHash = storedApp === '' ? null : Buffer.from(storedApp, 'hex');
    else this.appKeyHash = env.appApiKey ? sha256(env.appApiKey) : null;

    let generatedPassword: string | null = null;
    const storedAdmin = await this.meta.get(ADMIN);
    if (storedAdmin !== null) this.adminHash = storedAdmin;
    else if (env.adminPassword) this.adminHash = hashPassword(env.adminPassword);
    else if ((this.adminHash = await this.meta.get(GENERATED)) === null) {
      generatedPassword = randomBytes(12).toString('base64url');
      this.adminHash = await this.meta.setIfAbsent(GENERATED, hashPassword(generatedPassword));
      if (!verifyPassword(generatedPassword, this.adminHash)) generatedPassword = null; // another replica won
    }
    return { generatedPassword };
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
