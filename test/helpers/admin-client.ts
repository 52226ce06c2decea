// A tiny admin API client for tests: keeps the session cookie like a browser would (per path /admin),
// sends JSON with the content type the CSRF guard asks for, and returns status, headers and body.

import { request } from 'undici';
import type { KeyRow } from '../../src/projection/key-table';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export const ADMIN_PASSWORD = 'test-admin-password';

export class AdminClient {
  cookie: string | null = null;

  constructor(readonly base: string) {}

  async call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const h: Record<string, string> = { ...headers };
    if (this.cookie) h.cookie = this.cookie;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['content-type'] = 'application/json';
    }
    const res = await request(this.base + path, { method, headers: h, body: payload });
    const text = await res.body.text();
    this.keepCookie(res.headers['set-cookie']);
    let json: unknown = null;
    try { json = text ? JSON.parse(text) : null; } catch { json = null; }
    return { status: res.statusCode, headers: res.headers, text, json };
  }

  get(path: string, headers?: Record<string, string>) { return this.call('GET', path, undefined, headers); }
  post(path: string, body: unknown = {}, headers?: Record<string, string>) { return this.call('POST', path, body, headers); }
  patch(path: string, body: unknown, headers?: Record<string, string>) { return this.call('PATCH', path, body, headers); }

  /** Every key GET /admin/key-status lists (all pages), optionally filtered by `query` (e.g. `status=cooling`). */
  async keys(query = ''): Promise<KeyRow[]> {
    const out: KeyRow[] = [];
    for (let page = 1; ; page++) {
      const r = await this.get(`/admin/key-status?limit=100&page=${page}${query ? `&${query}` : ''}`);
      if (r.status !== 200) throw new Error(`key-status: ${r.status} ${r.text}`);
      out.push(...r.json.keys);
      if (page >= r.json.total_pages) return out;
    }
  }

  /** One key as GET /admin/key-status shows it, or undefined when the pool has none with this id. */
  async key(id: string): Promise<KeyRow | undefined> {
    const r = await this.get(`/admin/key-status?limit=100&q=${encodeURIComponent(id)}`);
    if (r.status !== 200) throw new Error(`key-status: ${r.status} ${r.text}`);
    return (r.json.keys as KeyRow[]).find((k) => k.id === id);
  }

  async login(password = ADMIN_PASSWORD): Promise<Answer> {
    return this.post('/admin/login', { password });
  }

  private keepCookie(setCookie: string | string[] | undefined): void {
    for (const line of ([] as string[]).concat(setCookie ?? [])) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (name !== 'orp_admin') continue;
      const expired = /max-age=0/i.test(line) || /expires=Thu, 01 Jan 1970/i.test(line);
      this.cookie = value && !expired ? `${name}=${value}` : null;
    }
  }
}

/** An OpenRouter-looking key: sk-or-v1- and 64 hex characters, ending in `tail` (hex). */
export function fakeKey(n: number, tail = ''): string {
  return `sk-or-v1-${n.toString(16).padStart(64 - tail.length, '0')}${tail}`;
}
