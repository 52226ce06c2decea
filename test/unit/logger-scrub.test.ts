// The logger never writes a secret: fields that carry one are censored, and every finished line is
// scrubbed of the secrets it knows and of anything shaped like an OpenRouter key.

import { Writable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig } from '../../src/config';
import { createLogger, scrubberOf, SecretScrubber } from '../../src/logger';

const KEY = `sk-or-v1-${'0123456789abcdef'.repeat(4)}`;
const STRANGER = `sk-or-v1-${'fedcba9876543210'.repeat(4)}`; // a key this process never heard of

function capture(env: Record<string, string> = {}) {
  const lines: string[] = [];
  const sink = new Writable({ write(c, _e, done) { lines.push(c.toString()); done(); } });
  const log = createLogger(parseConfig({ LOG_LEVEL: 'debug', ...env }), sink);
  return { log, text: () => lines.join('') };
}

test('config secrets and seed keys are scrubbed from free text, error messages and nested fields', () => {
  const env = {
    APP_API_KEY: 'app-key-0123456789', ADMIN_PASSWORD: 'pa"ss\\word-42', SESSION_SECRET: 's'.repeat(8) + 'ession-secret-0123456789abcdef',
    KEY_ENCRYPTION_SECRET: 'enc-secret-0123456789', METRICS_TOKEN: 'metrics-token-0123', MYSQL_PASSWORD: 'mysql-pass-0123',
    OPENROUTER_API_KEYS: `${KEY}:2,custom-seed-token-0123456789`,
  };
  const { log, text } = capture(env);
  log.error({ err: new Error(`upstream said: invalid key ${KEY} (app-key-0123456789)`) }, 'upstream failed');
  log.warn({ body: `{"error":"bad token custom-seed-token-0123456789 / enc-secret-0123456789"}` }, `password was pa"ss\\word-42`);
  log.info({ detail: { nested: ['metrics-token-0123', 'mysql-pass-0123', env.SESSION_SECRET] } }, 'free text');
  const out = text();
  for (const secret of [...Object.values(env).filter((v) => !v.includes(',')), KEY, 'custom-seed-token-0123456789']) {
    assert.not.ok(out.includes(secret), `${secret} leaked`);
    assert.not.ok(out.includes(JSON.stringify(secret).slice(1, -1)), `${secret} leaked JSON-escaped`);
  }
  assert.ok(out.includes('sk-or-v1-01…cdef'), 'a key is shown in its masked form');
  assert.ok(out.includes('[redacted]'));
  for (const line of out.trim().split('\n')) JSON.parse(line); // still valid JSON lines
});

test('an OpenRouter-shaped key nobody registered is masked anyway', () => {
  const { log, text } = capture();
  log.warn(`echoed: Bearer ${STRANGER}`);
  assert.not.ok(text().includes(STRANGER));
  assert.ok(text().includes('sk-or-v1-fe…3210'));
});

test('secret-bearing fields are censored by name', () => {
  const { log, text } = capture();
  log.info({
    req: { headers: { authorization: 'Bearer tok-AAAA-1', cookie: 'orp_admin=sess-BBBB-2' } },
    headers: { authorization: 'Bearer tok-CCCC-3' }, password: 'pw-DDDD-4', body: { app_api_key: 'ak-EEEE-5', key_data: 'kd-FFFF-6' },
  }, 'fields');
  for (const s of ['tok-AAAA-1', 'sess-BBBB-2', 'tok-CCCC-3', 'pw-DDDD-4', 'ak-EEEE-5', 'kd-FFFF-6']) assert.not.ok(text().includes(s), s);
});

test('keys learnt later (another shape) are scrubbed once the scrubber is told', () => {
  const { log, text } = capture();
  const cache = new Set<string>();
  const scrubber = scrubberOf(log)!;
  scrubber.watch(() => cache);
  cache.add('later-key-of-another-shape-0001');
  scrubber.changed();
  log.error('upstream echoed later-key-of-another-shape-0001');
  assert.not.ok(text().includes('later-key-of-another-shape-0001'));
});

test('very short secrets are not searched for, so ordinary words survive', () => {
  const s = new SecretScrubber();
  s.add('abc');
  assert.is(s.scrub('{"msg":"abc level"}'), '{"msg":"abc level"}');
  s.add('longer-secret');
  assert.is(s.scrub('x longer-secret y'), 'x [redacted] y');
});

test.run();
