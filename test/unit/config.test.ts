import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseConfig } from '../../src/config';

test('defaults match docs/api.md with no configuration at all', () => {
  const c = parseConfig({});
  assert.is(c.port, 8000);
  assert.is(c.host, '0.0.0.0');
  assert.is(c.dbType, 'sqlite');
  assert.is(c.sqlitePath, 'openrouter_keys.db');
  assert.is(c.defaultModel, 'deepseek/deepseek-chat-v3-0324:free');
  assert.is(c.requestTimeoutSeconds, 180);
  assert.is(c.keyFailureCooldownSeconds, 600);
  assert.is(c.keyMaxConsecutiveFailures, 3);
  assert.is(c.retryWithNewKeyCount, 4);
  assert.is(c.healthCheckIntervalSeconds, 300);
  assert.is(c.openrouterBaseUrl, 'https://openrouter.ai/api/v1');
  assert.ok(Object.isFrozen(c));
});

const refuses = (env: Record<string, string>, pattern: RegExp) => {
  try {
    parseConfig(env);
    assert.unreachable('should have thrown');
  } catch (err) {
    assert.instance(err, ConfigError);
    assert.match((err as Error).message, pattern);
  }
};

test('a value that does not parse stops the start and names the variable and the expected form', () => {
  refuses({ PORT: 'eighty' }, /PORT="eighty" is not valid: expected an integer from 0 to 65535/);
  refuses({ PORT: '70000' }, /PORT/);
  refuses({ DB_TYPE: 'postgres' }, /DB_TYPE="postgres" is not valid: expected one of sqlite, mysql/);
  refuses({ KEY_MAX_CONSECUTIVE_FAILURES: '0' }, /KEY_MAX_CONSECUTIVE_FAILURES/);
  refuses({ REQUEST_TIMEOUT_SECONDS: '1.5' }, /REQUEST_TIMEOUT_SECONDS/);
  refuses({ OPENROUTER_BASE_URL: 'ftp://x' }, /OPENROUTER_BASE_URL/);
  refuses({ TRUST_PROXY: 'maybe' }, /TRUST_PROXY/);
  refuses({ LOG_LEVEL: 'loud' }, /LOG_LEVEL/);
  refuses({ SESSION_SECRET: 'short' }, /SESSION_SECRET must be at least 32 characters/);
});

test('TRUST_PROXY: true is one hop (never every hop), a number is that many hops, a list names the proxies', () => {
  assert.is(parseConfig({}).trustProxy, false);
  assert.is(parseConfig({ TRUST_PROXY: 'true' }).trustProxy, 1);
  assert.is(parseConfig({ TRUST_PROXY: '3' }).trustProxy, 3);
  assert.equal(parseConfig({ TRUST_PROXY: '10.0.0.1, 192.168.0.0/16,loopback, ::1' }).trustProxy, ['10.0.0.1', '192.168.0.0/16', 'loopback', '::1']);
  refuses({ TRUST_PROXY: '10.0.0.0/33' }, /TRUST_PROXY/);
  refuses({ TRUST_PROXY: 'nginx.local' }, /TRUST_PROXY/);
});

test('every bad variable is named at once, and secrets are never echoed', () => {
  try {
    parseConfig({ PORT: 'x', MYSQL_PORT: 'y', HEALTH_CHECK_INTERVAL_SECONDS: '-5' });
    assert.unreachable();
  } catch (err) {
    const msg = (err as Error).message;
    for (const name of ['PORT', 'MYSQL_PORT', 'HEALTH_CHECK_INTERVAL_SECONDS']) assert.ok(msg.includes(name), name);
  }
});

test('.env is read, and the real environment wins over it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'orp-env-'));
  const file = join(dir, '.env');
  writeFileSync(file, 'PORT=9001\nDEFAULT_MODEL=from/file\n');
  const c = loadConfig({ DEFAULT_MODEL: 'from/env' }, file);
  assert.is(c.port, 9001);
  assert.is(c.defaultModel, 'from/env');
});

test.run();
