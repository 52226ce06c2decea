// AES-256-GCM for upstream keys at rest. The key is derived from KEY_ENCRYPTION_SECRET with scrypt.

import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';

const SALT = 'openrouter-polling/key-secrets/v1';

/** The meta row of the generated admin session secret, and the mark of its sealed form. */
export const SESSION_SECRET_NAME = 'session_secret';
export const SEALED_PREFIX = 'sealed:';

export class SecretBox {
  private readonly key: Buffer;
  constructor(secret: string) { this.key = scryptSync(secret, SALT, 32); }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join('.');
  }

  /** Throws when the text was sealed under another secret or was tampered with. */
  open(sealed: string): string {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('not a sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
  }
}
