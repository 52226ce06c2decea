// The admin UI's pure display helpers: masked keys, durations, countdowns, event sentences, pages.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  countdown, duration, eventSentence, fieldLabel, fieldValue, flatten, humanize, keyShort, pageList, relTime, toMs,
} from '../../admin-ui/src/format';

const NOW = Date.parse('2025-01-31T12:00:00Z');

test('toMs reads ISO strings, epoch ms and numeric strings; null otherwise', () => {
  assert.is(toMs('2025-01-31T12:00:00Z'), NOW);
  assert.is(toMs(NOW), NOW);
  assert.is(toMs(String(NOW)), NOW);
  for (const v of [null, undefined, '', 'soon', NaN, {}]) assert.is(toMs(v), null);
});

test('keyShort shows the suffix after the ellipsis, else the id', () => {
  const cases: Array<[string | null, string | null, string]> = [
    ['sk-or-v1-ab…wxyz', 'a1b2c3d4e5f60708', '…wxyz'],
    ['ab...yz', null, '…yz'],
    ['…', 'a1b2c3d4e5f60708', 'a1b2c3d4'],
    [null, 'abc', 'abc'],
    [null, null, '—'],
  ];
  for (const [masked, id, want] of cases) assert.is(keyShort(masked, id), want, `${masked} ${id}`);
});

test('duration keeps two units at most', () => {
  const cases: Array<[number, string]> = [[0, '0 s'], [45, '45 s'], [600, '10 min'], [3900, '1 h 5 min'], [3601, '1 h'], [273600, '3 d 4 h'], [-5, '0 s']];
  for (const [s, want] of cases) assert.is(duration(s), want, String(s));
});

test('relTime reads past and future, and says never for no time', () => {
  assert.is(relTime(null, NOW), 'never');
  assert.is(relTime(NOW - 1000, NOW), 'just now');
  assert.is(relTime(NOW - 5000, NOW), '5 s ago');
  assert.is(relTime(new Date(NOW - 3 * 60000).toISOString(), NOW), '3 min ago');
  assert.is(relTime(NOW + 2 * 3600000, NOW), 'in 2 h');
});

test('countdown is m:ss, h:mm:ss past an hour, and stops at 0:00', () => {
  assert.is(countdown(NOW + 599_000, NOW), '9:59');
  assert.is(countdown(NOW + 599_001, NOW), '10:00');
  assert.is(countdown(new Date(NOW + 5_000).toISOString(), NOW), '0:05');
  assert.is(countdown(NOW + 3_723_000, NOW), '1:02:03');
  assert.is(countdown(NOW - 10_000, NOW), '0:00');
  assert.is(countdown(null, NOW), '');
});

test('eventSentence: one readable sentence per event type', () => {
  const key = { key_id: 'a1b2c3d4e5f60708', masked: 'sk-or-v1-cd…ab12' };
  const cases: Array<[string, unknown, string]> = [
    ['KeyAdded', { weight: 2, masked: 'sk-or-v1-cd…ab12', suffix: 'ab12' }, 'key …ab12 added with weight 2'],
    ['KeyUsed', { count: 3, prompt_tokens: 1000, completion_tokens: 234, total_tokens: 1234, last_used_at: NOW }, 'key …ab12 served 3 requests (1,234 tokens: 1,000 prompt + 234 completion)'],
    ['KeyUsed', { count: 1, prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, last_used_at: NOW }, 'key …ab12 served 1 request'],
    ['KeyFailed', { class: 'rate_limit', status: 429, reason: 'Rate limit exceeded', consecutive: 2 }, 'key …ab12 failed: rate limit (429) — Rate limit exceeded; 2 consecutive failures'],
    ['KeyFailed', { class: 'transient', status: null, reason: 'timeout', consecutive: 1, count: 4 }, 'key …ab12 failed: transient ×4 — timeout; 1 consecutive failure'],
    ['KeyDeactivated', { reason: '401 User not found' }, 'key …ab12 deactivated: 401 User not found'],
    ['KeyReactivated', { by: 'probe' }, 'key …ab12 reactivated by a passing probe'],
    ['KeyReactivated', { by: 'cooldown' }, 'key …ab12 reactivated after its cooldown'],
    ['KeyReactivated', { by: 'admin' }, 'key …ab12 reactivated by admin'],
    ['KeyWeightChanged', { weight: 3, previous: 1 }, 'key …ab12 weight changed from 1 to 3'],
    ['KeyDeleted', { masked: 'sk-or-v1-cd…ab12' }, 'key …ab12 deleted'],
    ['KeyProbed', { ok: true, status: 200, detail: '' }, 'key …ab12 probe passed (200)'],
    ['KeyProbed', { ok: false, status: 401, detail: 'User not found' }, 'key …ab12 probe failed (401): User not found'],
    ['AdminLoginSucceeded', { client: '127.0.0.1' }, 'admin logged in from 127.0.0.1'],
    ['AdminLoginFailed', { client: '10.0.0.7' }, 'failed admin login from 10.0.0.7'],
    ['AdminLoggedOut', { client: '127.0.0.1' }, 'admin logged out (127.0.0.1)'],
    ['AdminKeyAccessed', { action: 'delete', outcome: 'not_found', ref: 'ab12c', client: '10.0.0.7' }, 'admin delete of "ab12c" named no key — from 10.0.0.7'],
  ];
  for (const [type, data, want] of cases) assert.is(eventSentence({ type, data, ...key }), want, type);
});

test('eventSentence: cooled names the duration, the status when given, and the end', () => {
  const s = eventSentence({ type: 'KeyCooled', key_id: 'a1b2', masked: 'x…ab12', data: { until: NOW + 600_000, seconds: 600, status: 429 } });
  assert.ok(s.startsWith('key …ab12 cooled for 10 min after 429 (until '), s);
});

test('eventSentence: settings changes list fields and never show secret values', () => {
  const s = eventSentence({ type: 'SettingsChanged', data: { changes: { log_level: { from: 'info', to: 'debug' }, retry_with_new_key_count: 2, admin_password: 'hunter2' } } });
  assert.is(s, 'settings changed: log_level info → debug, retry_with_new_key_count = 2, admin_password changed');
  assert.is(eventSentence({ type: 'SettingsChanged', data: { changes: ['default_model'] } }), 'settings changed: default_model');
});

test('eventSentence: unknown types and missing data still read', () => {
  assert.is(eventSentence({ type: 'KeyAdded', key_id: 'a1b2c3d4e5f60708', data: null }), 'key a1b2c3d4 added');
  assert.is(eventSentence({ type: 'Rebalanced', data: { n: 1 } }), 'Rebalanced {"n":1}');
});

test('status helpers: labels and units by field name', () => {
  assert.is(humanize('event_loop_delay'), 'Event loop delay');
  assert.is(humanize('heapUsed'), 'Heap used');
  assert.is(fieldLabel('uptime_seconds'), 'Uptime');
  assert.is(fieldLabel('rss'), 'RSS');
  assert.is(fieldValue('uptime_seconds', 93784, NOW), '1 d 2 h');
  assert.is(fieldValue('memory.rss', 91234567, NOW), '87.0 MB');
  assert.is(fieldValue('event_loop.p99_ms', 4.5, NOW), '4.5 ms');
  assert.is(fieldValue('requests.total', 123456, NOW), '123,456');
  assert.is(fieldValue('ok', true, NOW), 'yes');
  assert.is(fieldValue('x', null, NOW), '—');
  assert.equal(flatten({ a: 1, b: { c: 2, d: { e: 'x' } }, f: [1] }), [['a', 1], ['b.c', 2], ['b.d.e', 'x'], ['f', [1]]]);
});

test('pageList puts gaps (0) between distant pages', () => {
  assert.equal(pageList(1, 5), [1, 2, 3, 4, 5]);
  assert.equal(pageList(1, 20), [1, 2, 3, 4, 0, 20]);
  assert.equal(pageList(10, 20), [1, 0, 9, 10, 11, 0, 20]);
  assert.equal(pageList(20, 20), [1, 0, 17, 18, 19, 20]);
  assert.equal(pageList(1, 0), []);
});

test.run();
