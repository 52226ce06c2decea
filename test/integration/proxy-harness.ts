// Shared by the proxy-*.test.ts suites: a mock OpenRouter, the real server in front of it, the
// official OpenAI SDK pointed at the server, and a raw HTTP client for byte-level checks.

import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import { request } from 'undici';
import { keyId } from '../../src/domain/key-lines';
import type { KeyState } from '../../src/domain/pool-state';
import { seededRandom } from '../../src/domain/weighted-index';
import type { KeyRow } from '../../src/projection/key-table';
import { AdminClient } from '../helpers/admin-client';
import { startMockUpstream, type MockUpstream } from '../helpers/mock-upstream';
import { startServer, type TestServer } from '../helpers/server';

/** A realistic OpenRouter key (sk-or-v1- and 64 hex), different for every name. */
export function orKey(name: string): string {
  return `sk-or-v1-${createHash('sha256').update(name).digest('hex')}`;
}

export interface Rig {
  mock: MockUpstream;
  server: TestServer;
  client: OpenAI;
  /** The key's folded state, read in the runtime: for the fields no route shows (the failure class, ms times). */
  key(secret: string): KeyState;
  /** The key as an admin sees it (GET /admin/key-status). */
  row(secret: string): Promise<KeyRow | undefined>;
  /** An admin session on the current server (a new one after a restart). */
  admin(): Promise<AdminClient>;
  /** Changes live settings as an admin does (POST /admin/settings). */
  settings(changes: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

const sessions = new WeakMap<TestServer, AdminClient>();

/** An admin session on `server`, logged in once and kept. */
export async function adminOf(server: TestServer): Promise<AdminClient> {
  let c = sessions.get(server);
  if (!c) {
    c = new AdminClient(server.url);
    const r = await c.login();
    if (r.status !== 200) throw new Error(`admin login: ${r.status} ${r.text}`);
    sessions.set(server, c);
  }
  return c;
}

/** Keys as `[secret, weight]`; env on top of short timeouts that keep the suites fast. */
export async function rig(keys: [string, number][], env: Record<string, string> = {}, seed = 7): Promise<Rig> {
  const mock = await startMockUpstream();
  const server = await startServer({
    random: seededRandom(seed),
    env: {
      OPENROUTER_BASE_URL: mock.url,
      OPENROUTER_API_KEYS: keys.map(([k, w]) => `${k}:${w}`).join(','),
      REQUEST_TIMEOUT_SECONDS: '2', STREAM_IDLE_TIMEOUT_SECONDS: '1',
      KEY_FAILURE_COOLDOWN_SECONDS: '1', LOG_LEVEL: 'debug',
      ...env,
    },
  });
  const r: Rig = {
    mock, server,
    client: new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'client-token', maxRetries: 0, timeout: 20_000 }),
    key: (secret) => r.server.rt.projection.state.keys[keyId(secret)],
    row: async (secret) => (await adminOf(r.server)).key(keyId(secret)),
    admin: () => adminOf(r.server),
    settings: async (changes) => {
      const a = await (await adminOf(r.server)).post('/admin/settings', changes);
      if (a.status !== 200) throw new Error(`settings: ${a.status} ${a.text}`);
    },
    close: async () => {
      // Node's fetch (the SDK) can leave a half-open socket behind after an aborted request; nothing
      // is in flight at the end of a suite, so drop client sockets rather than wait out keep-alive.
      r.server.app.server.closeAllConnections();
      await r.server.close();
      await mock.close();
    },
  };
  return r;
}

export interface RawAnswer { status: number; headers: Record<string, string | string[] | undefined>; text: string }

export async function raw(url: string, method: 'GET' | 'POST', path: string, body?: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  const res = await request(url + path, {
    method, body,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
  });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

/** Re-enables every key as an admin does (Activate), clearing cooldowns and consecutive failures. */
export async function reactivateAll(server: TestServer): Promise<void> {
  const admin = await adminOf(server);
  for (const k of await admin.keys()) {
    const a = await admin.patch(`/admin/keys/${k.id}`, { active: true });
    if (a.status !== 200) throw new Error(`activate ${k.id}: ${a.status} ${a.text}`);
  }
}

export const hello = [{ role: 'user' as const, content: 'Say hello' }];
