// The settings table is the one definition of every setting: these check the table itself (names,
// defaults inside their ranges) and that what derives from it (the Config, the live getters, the POST
// checks) follows it. The dashboard's side is checked in a browser (e2e/admin-dashboard.test.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setting } from '../../src/admin/settings-routes';
import { CONFIG_SPEC, parseConfig } from '../../src/config';
import { LiveSettings } from '../../src/settings/live-settings';
import { LIVE_SETTINGS, SETTINGS, type Setting } from '../../src/settings/settings-table';
import type { Projection } from '../../src/projection/projection';

const rows = Object.entries(SETTINGS as Record<string, Setting>);

test('every environment name is unique, and a live setting keeps its API name: the variable in lower case', () => {
  assert.is(new Set(CONFIG_SPEC.map((s) => s.name)).size, rows.length);
  for (const s of LIVE_SETTINGS) assert.is(s.name, s.env.toLowerCase(), s.env);
  assert.equal(LIVE_SETTINGS.map((s) => s.name).sort(), [
    'default_model', 'free_requests_per_day', 'free_requests_per_window', 'free_window_seconds', 'health_check_interval_seconds',
    'key_failure_cooldown_seconds', 'key_max_consecutive_failures', 'log_level', 'request_timeout_seconds', 'retry_with_new_key_count', 'wait_for_key_ms',
  ]);
});

test('every default lies in its range, and a doc never says "(live setting)" itself (the generator adds it)', () => {
  for (const [, s] of rows) {
    if (s.type.kind === 'int' && s.def !== undefined) assert.ok(Number(s.def) >= s.type.min && Number(s.def) <= s.type.max, s.env);
    if (s.type.kind === 'enum' && s.def !== undefined) assert.ok(s.type.values.includes(s.def), s.env);
    assert.not.match(s.doc, '(live setting)', s.env);
  }
});

test('the Config has one property per row under its own name, nested for a group', () => {
  const config = parseConfig({}) as unknown as Record<string, Record<string, unknown>>;
  for (const [key] of rows) {
    const [group, field] = key.includes('.') ? key.split('.') : [null, key];
    assert.ok(group === null ? field in config : field in config[group], key);
  }
  assert.ok(Object.isFrozen(config.mysql));
});

test('each live setting has a getter, which returns the environment value until an admin change', () => {
  const config = parseConfig({ REQUEST_TIMEOUT_SECONDS: '77', LOG_LEVEL: 'warn' });
  const state = { settings: {} as Record<string, unknown> };
  const live = new LiveSettings(config, { state } as unknown as Projection) as unknown as Record<string, unknown>;
  for (const s of LIVE_SETTINGS) assert.is(live[s.key], (config as unknown as Record<string, unknown>)[s.key], s.key);
  assert.is(live.requestTimeoutSeconds, 77);
  state.settings.request_timeout_seconds = 12;
  assert.is(live.requestTimeoutSeconds, 12);
  assert.is(live.logLevel, 'warn');
});

test('POST checks use the same range as the variable: its bounds pass, one beyond is refused', () => {
  for (const s of LIVE_SETTINGS) {
    if (s.type.kind !== 'int') continue;
    const { min, max } = s.type;
    assert.is(setting(s, min), min);
    assert.is(setting(s, max), max);
    assert.throws(() => setting(s, min - 1), new RegExp(`${s.name} must be an integer from ${min} to ${max}`));
    assert.throws(() => setting(s, max + 1), new RegExp(s.name));
    assert.throws(() => parseConfig({ [s.env]: String(min - 1) }), new RegExp(s.env));
  }
});

test.run();
