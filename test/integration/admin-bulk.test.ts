// Labels and bulk actions (issue 10): labels set on keys filter the key table; a bulk action over a
// filter ("all N matching", across pages) first lists what it will change, then changes exactly the
// matching keys and nothing else; bad input is a clear 400 that changes nothing.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { AdminClient, fakeKey } from '../helpers/admin-client';
import { startMockUpstream, type MockUpstream } from '../helpers/mock-upstream';
import { startServer, type TestServer } from '../helpers/server';

const SECRETS = Array.from({ length: 30 }, (_, i) => fakeKey(i + 1));

interface Ctx { s: TestServer; up: MockUpstream; c: AdminClient; ids: string[] }
const t = suite<Ctx>('admin bulk actions and labels');

t.before(async (ctx) => {
  ctx.up = await startMockUpstream();
  ctx.s = await startServer({ env: { OPENROUTER_BASE_URL: ctx.up.url } });
  ctx.c = new AdminClient(ctx.s.url);
  assert.is((await ctx.c.login()).status, 200);
  const added = await ctx.c.post('/admin/add-keys', { key_data: SECRETS.join('\n') });
  ctx.ids = added.json.added.map((a: { id: string }) => a.id);
});
t.after(async (ctx) => { await ctx.s.close(); await ctx.up.close(); });

/** The pool as GET /admin/key-status shows it, by id. */
const keys = async (c: AdminClient) => Object.fromEntries((await c.keys()).map((k) => [k.id, k]));

t('labels: set on a key, shown in K, filtered on (ignoring case); bad labels are a 400', async ({ c, ids }) => {
  for (const id of ids.slice(0, 12)) {
    const r = await c.call('PATCH', `/admin/keys/${id}`, { labels: ['team-a', 'paid'] });
    assert.is(r.status, 200, r.text);
    assert.equal(r.json.labels, ['team-a', 'paid']);
  }
  const page = await c.get('/admin/key-status?label=TEAM-A&limit=5');
  assert.is(page.json.total_keys, 12);
  assert.is(page.json.total_pages, 3);
  const bad: [unknown, string][] = [[['has,comma'], 'label'], [[''], 'label'], ['not-a-list', 'labels'], [Array.from({ length: 21 }, (_, i) => `l${i}`), 'labels']];
  for (const [labels, param] of bad) {
    const r = await c.call('PATCH', `/admin/keys/${ids[0]}`, { labels });
    assert.is(r.status, 400, JSON.stringify(labels));
    assert.is(r.json.error.param, param);
  }
  assert.equal((await keys(c))[ids[0]].labels, ['team-a', 'paid']);
  const history = await c.get(`/admin/events?type=KeyLabelsChanged&key_id=${ids[0]}`);
  assert.is(history.json.total, 1);
  assert.equal(history.json.events[0].data, { labels: ['team-a', 'paid'], previous: [] });
});

t('a bulk action over a filter lists its changes first, then changes exactly the matching keys', async ({ c, ids }) => {
  const dry = await c.post('/admin/keys/bulk', { action: 'set_weight', weight: 7, filter: { label: 'team-a' }, dry_run: true });
  assert.is(dry.status, 200, dry.text);
  assert.is(dry.json.matched, 12);
  assert.is(dry.json.will_change, 12);
  assert.equal(dry.json.changes[0], { id: ids[0], masked: (await keys(c))[ids[0]].masked, from: 'weight 1', to: 'weight 7' });
  const pool = await keys(c);
  assert.ok(ids.every((id) => pool[id].weight === 1), 'a dry run changes nothing');

  const run = await c.post('/admin/keys/bulk', { action: 'set_weight', weight: 7, filter: { label: 'team-a' } });
  assert.equal(run.json, { action: 'set_weight', matched: 12, will_change: 12, dry_run: false, changed: 12 });
  const weighted = await keys(c);
  ids.forEach((id, i) => assert.is(weighted[id].weight, i < 12 ? 7 : 1, `key ${i}`));
  // Again: nothing left to change.
  assert.is((await c.post('/admin/keys/bulk', { action: 'set_weight', weight: 7, filter: { label: 'team-a' } })).json.changed, 0);

  assert.is((await c.post('/admin/keys/bulk', { action: 'deactivate', filter: { label: 'paid', q: ids[3] } })).json.changed, 1);
  assert.is((await keys(c))[ids[3]].is_active, false);
  // The admin's Deactivate disables the key (no probe brings it back).
  const inactive = await c.post('/admin/keys/bulk', { action: 'add_label', label: 'broken', filter: { status: 'disabled' } });
  assert.is(inactive.json.changed, 1);
  assert.equal((await keys(c))[ids[3]].labels, ['team-a', 'paid', 'broken']);
  assert.is((await c.post('/admin/keys/bulk', { action: 'activate', ids: [ids[3], ids[4]] })).json.changed, 1);
  assert.is((await keys(c))[ids[3]].is_active, true);
  assert.is((await c.post('/admin/keys/bulk', { action: 'remove_label', label: 'PAID', filter: {} })).json.changed, 12);
  assert.equal((await keys(c))[ids[3]].labels, ['team-a', 'broken']);

  const del = await c.post('/admin/keys/bulk', { action: 'delete', filter: { label: 'broken' } });
  assert.is(del.json.changed, 1);
  assert.is((await keys(c))[ids[3]], undefined);
  assert.is(Object.keys((await keys(c))).length, 29);
});

t('check now over a filter probes exactly the matching keys', async ({ c, up, ids }) => {
  const before = ids.map((id) => up.probesFor(SECRETS[ids.indexOf(id)]));
  const r = await c.post('/admin/keys/bulk', { action: 'check', filter: { label: 'team-a' } });
  assert.is(r.json.changed, 11);
  ids.forEach((id, i) => {
    if (i === 3) return; // deleted above
    assert.is(up.probesFor(SECRETS[ids.indexOf(id)]), before[i] + (i < 12 ? 1 : 0), `key ${i}`);
  });
  assert.ok((await keys(c))[ids[0]].credit, 'a check records the credit it saw');
});

t('bad bulk input is a 400 naming the field, and changes nothing', async ({ c, ids }) => {
  const pool = await keys(c);
  const weights = ids.map((id) => pool[id]?.weight);
  const cases: [unknown, string][] = [
    [{ filter: {} }, 'action'],
    [{ action: 'explode', filter: {} }, 'action'],
    [{ action: 'activate' }, 'filter'],
    [{ action: 'activate', filter: {}, ids: [ids[0]] }, 'filter'],
    [{ action: 'set_weight', filter: {} }, 'weight'],
    [{ action: 'set_weight', weight: 0, filter: {} }, 'weight'],
    [{ action: 'add_label', label: ' ', filter: {} }, 'label'],
    [{ action: 'activate', filter: { colour: 'red' } }, 'colour'],
    [{ action: 'activate', filter: { status: 'sleepy' } }, 'status'],
    [{ action: 'set_weight', weight: 3, ids: [ids[0], 'nope'] }, 'ids'],
    [{ action: 'activate', weight: 3, filter: {} }, 'weight'],
    [{ action: 'activate', filter: {}, dry_run: 'yes' }, 'dry_run'],
  ];
  for (const [body, param] of cases) {
    const r = await c.post('/admin/keys/bulk', body);
    assert.is(r.status, 400, JSON.stringify(body));
    assert.is(r.json.error.param, param, JSON.stringify(body));
  }
  const after = await keys(c);
  assert.equal(ids.map((id) => after[id]?.weight), weights);
});

t.run();
