// Every event type's payload is checked before it may be folded; older shapes are upcast first.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeEvent, type EventRowData } from '../../src/events/decode';
import { EVENT_TYPES, type EventType } from '../../src/events/types';
import { ev, T0 } from '../helpers/events';

const row = (type: string, data: unknown, key_id: string | null = 'k1', extra: Partial<EventRowData> = {}): EventRowData => ({
  seq: 7, at: T0, type, key_id, actor: 'admin', origin: 'o', data: JSON.stringify(data), ...extra,
});

/** One valid payload per event type, as the writers of this version produce it. */
const VALID: Record<EventType, { data: unknown; keyed: boolean }> = {
  KeyAdded: { data: ev.added('k1').data, keyed: true },
  KeyUsed: { data: ev.used('k1').data, keyed: true },
  KeyFailed: { data: ev.failed('k1', 'quota').data, keyed: true },
  KeyCooled: { data: ev.cooled('k1', T0 + 1000).data, keyed: true },
  KeyFreeCooled: { data: { until: T0 + 60_000, seconds: 60, window: 'minute', limit: 20, strikes: 1, reason: 'free-models-per-min' }, keyed: true },
  KeyDeactivated: { data: ev.deactivated('k1').data, keyed: true },
  KeyReactivated: { data: { by: 'probe' }, keyed: true },
  KeyWeightChanged: { data: ev.weight('k1', 3).data, keyed: true },
  KeyDeleted: { data: ev.deleted('k1').data, keyed: true },
  KeyProbed: { data: ev.probed('k1', true).data, keyed: true },
  SettingsChanged: { data: { changes: { default_model: 'a/b' } }, keyed: false },
  AdminLoginSucceeded: { data: { client: '127.0.0.1' }, keyed: false },
  AdminLoginFailed: { data: { client: '127.0.0.1' }, keyed: false },
  AdminLoggedOut: { data: { client: '127.0.0.1' }, keyed: false },
  KeyCreditChecked: {
    data: { limit: 10, limit_remaining: 4.5, limit_reset: null, usage: 5.5, usage_daily: 1, usage_weekly: 2, usage_monthly: 5.5, is_free_tier: false },
    keyed: true,
  },
  KeyLabelsChanged: { data: { labels: ['team-a'], previous: [] }, keyed: true },
  AdminKeyAccessed: { data: { action: 'weight', outcome: 'unchanged', ref: 'k1', client: '127.0.0.1' }, keyed: true },
};

test('every event type decodes from what this version writes', () => {
  for (const type of EVENT_TYPES) {
    const v = VALID[type];
    const d = decodeEvent(row(type, v.data, v.keyed ? 'k1' : null));
    assert.ok(d.ok, `${type}: ${d.ok ? '' : d.error}`);
  }
});

test('every event type refuses a payload missing its fields, naming the type', () => {
  for (const type of EVENT_TYPES) {
    const d = decodeEvent(row(type, { unrelated: true }, VALID[type].keyed ? 'k1' : null));
    assert.not.ok(d.ok, type);
    if (!d.ok) assert.match(d.error, `${type}: needs`);
  }
});

test('wrong field types and values are refused, not folded half-understood', () => {
  const bad: Array<[EventType, unknown]> = [
    ['KeyUsed', { ...ev.used('k1').data, count: -1 }],
    ['KeyUsed', { ...ev.used('k1').data, total_tokens: '5' }],
    ['KeyFailed', { ...ev.failed('k1', 'quota').data, class: 'cosmic' }],
    ['KeyFailed', { ...ev.failed('k1', 'quota').data, count: 1.5 }],
    ['KeyCooled', { until: 'soon', seconds: 1 }],
    ['KeyReactivated', { by: 'magic' }],
    ['KeyWeightChanged', { weight: 2.5, previous: 1 }],
    ['KeyProbed', { ok: 'yes', status: 200, detail: '' }],
    ['SettingsChanged', { changes: ['x'] }],
    ['AdminKeyAccessed', { action: 'weight', outcome: 'maybe', ref: 'x', client: 'y' }],
  ];
  for (const [type, data] of bad) assert.not.ok(decodeEvent(row(type, data)).ok, `${type} ${JSON.stringify(data)}`);
});

test('key ids, actors, unknown types and non-JSON are checked', () => {
  assert.match(String((decodeEvent(row('KeyUsed', ev.used('k1').data, null)) as { error: string }).error), 'without key_id');
  assert.match(String((decodeEvent(row('SettingsChanged', { changes: {} }, 'k1')) as { error: string }).error), 'with a key_id');
  assert.ok(decodeEvent(row('AdminKeyAccessed', { action: 'delete', outcome: 'not_found', ref: 'zz', client: 'c' }, null)).ok, 'a miss names no key');
  assert.match(String((decodeEvent(row('KeyUsed', ev.used('k1').data, 'k1', { actor: 'mallory' })) as { error: string }).error), 'unknown actor');
  assert.match(String((decodeEvent(row('KeyExploded', {})) as { error: string }).error), 'unknown event type');
  assert.match(String((decodeEvent({ ...row('KeyUsed', {}), data: '{' }) as { error: string }).error), 'not JSON');
});

test('older payload shapes are upcast to today\'s before the check', () => {
  const added = decodeEvent(row('KeyAdded', { weight: 2, masked: 'sk-or-v1-ab…wxyz' }));
  assert.ok(added.ok && (added.event.data as { suffix: string }).suffix === 'wxyz', 'KeyAdded without suffix gets it from the mask');
  const cooled = decodeEvent(row('KeyCooled', { until: T0 + 90_000 }));
  assert.ok(cooled.ok && (cooled.event.data as { seconds: number }).seconds === 90, 'KeyCooled without seconds');
  const failed = decodeEvent(row('KeyFailed', { class: 'transient', consecutive: 0 }));
  assert.ok(failed.ok && (failed.event.data as { status: null; reason: string }).status === null);
  const weight = decodeEvent(row('KeyWeightChanged', { weight: 4 }));
  assert.ok(weight.ok && (weight.event.data as { previous: number }).previous === 4);
  const probed = decodeEvent(row('KeyProbed', { ok: true }));
  assert.ok(probed.ok);
  const today = ev.added('k1').data;
  const same = decodeEvent(row('KeyAdded', today));
  assert.ok(same.ok && JSON.stringify(same.event.data) === JSON.stringify(today), 'today\'s shape passes untouched');
});

test.run();
