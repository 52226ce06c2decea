// The history that reads well (issue 10): by default the admin's acts and the keys' lifecycle, the
// pool's own traffic (KeyUsed, failures, probes, credit checks) behind category=usage, and a setting
// change carrying its old value next to the new one (a secret only as "changed").

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { AdminClient } from '../helpers/admin-client';
import { eventually } from '../helpers/eventually';
import { hello, orKey, raw, rig, type Rig } from './proxy-harness';

const A = orKey('history-a');
interface Ctx { r: Rig; admin: AdminClient }
const t = suite<Ctx>('admin history', {} as Ctx);

t.before(async (ctx) => {
  ctx.r = await rig([[A, 1]]);
  ctx.admin = new AdminClient(ctx.r.server.url);
  assert.is((await ctx.admin.login()).status, 200);
});
t.after(async ({ r }) => { await r.close(); });

t('changes by default, usage behind a filter; a setting change shows old and new values', async ({ r, admin }) => {
  for (let i = 0; i < 3; i++) await raw(r.server.url, 'POST', '/v1/chat/completions', JSON.stringify({ model: 'm/x', messages: hello }));
  const set = await admin.post('/admin/settings', { request_timeout_seconds: 42, app_api_key: 'a-new-app-key-1234567890' });
  assert.is(set.status, 200, set.text);
  // The usage goes to the log in batches: wait until the status page shows nothing pending.
  await eventually(async () => (await admin.get('/admin/app-status')).json.events.pending === 0, 'no event pending');

  const changes = await admin.get('/admin/events?category=changes&limit=100');
  const types = new Set(changes.json.events.map((e: any) => e.type));
  assert.ok(types.has('KeyAdded') && types.has('SettingsChanged') && types.has('AdminLoginSucceeded'));
  assert.not.ok(types.has('KeyUsed'));
  const setting = changes.json.events.find((e: any) => e.type === 'SettingsChanged');
  assert.equal(setting.data, { changes: { request_timeout_seconds: 42, app_api_key: '[changed]' }, previous: { request_timeout_seconds: 2 } });
  assert.not.match(JSON.stringify(changes.json), 'a-new-app-key');

  const usage = await admin.get('/admin/events?category=usage&limit=100');
  assert.ok(usage.json.events.length > 0);
  assert.ok(usage.json.events.every((e: any) => ['KeyUsed', 'KeyFailed', 'KeyProbed', 'KeyCreditChecked'].includes(e.type)));
  const all = await admin.get('/admin/events?limit=100');
  assert.is(all.json.total, changes.json.total + usage.json.total);
  assert.is((await admin.get('/admin/events?category=some')).status, 400);
});

t.run();
