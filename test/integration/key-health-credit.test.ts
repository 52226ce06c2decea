// Credit per key and health at a glance (issue 10): each key's credit matches what GET /key said, is
// refreshed a few keys at a time and recorded only when it changed meaningfully; a spent key leaves
// rotation until a check shows room; success rates come from the request log and the worst keys sort
// first; the status page sums the credit.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { keyId } from '../../src/domain/key-lines';
import { CreditRefresher } from '../../src/health/credit-refresh';
import { AdminClient } from '../helpers/admin-client';
import { eventually } from '../helpers/eventually';
import { scenarios } from '../helpers/mock-upstream';
import { hello, orKey, raw, rig, type Rig } from './proxy-harness';

const A = orKey('credit-a');
const B = orKey('credit-b');
const C = orKey('credit-c');
const D = orKey('credit-d');
const E = orKey('credit-e');

interface Ctx { r: Rig; admin: AdminClient }
const t = suite<Ctx>('credit and health', {} as Ctx);

t.before(async (ctx) => {
  ctx.r = await rig([[A, 1], [B, 1], [C, 1], [D, 1]], { KEY_MAX_CONSECUTIVE_FAILURES: '1000', CREDIT_REFRESH_MINUTES: '1' });
  ctx.admin = new AdminClient(ctx.r.server.url);
  assert.is((await ctx.admin.login()).status, 200);
});
t.after(async ({ r }) => { await r.close(); });

/** KeyCreditChecked events in the history, once the status page shows every outcome written. */
async function creditEvents(admin: AdminClient, secret: string): Promise<number> {
  await eventually(async () => (await admin.get('/admin/app-status')).json.events.pending === 0, 'no event pending');
  return (await admin.get(`/admin/events?type=KeyCreditChecked&key_id=${keyId(secret)}`)).json.total as number;
}

async function row(admin: AdminClient, secret: string): Promise<any> {
  const page = await admin.get('/admin/key-status?limit=100');
  return page.json.keys.find((k: any) => k.id === keyId(secret));
}

t('"check now" stores what GET /key says; a spent limit takes the key out of rotation until a check shows room', async ({ r, admin }) => {
  r.mock.keyInfo(A, { limit: 10, limit_remaining: 7.5, limit_reset: 'monthly', usage: 2.5 });
  r.mock.keyInfo(C, { limit: 5, limit_remaining: 0, usage: 5, is_free_tier: true });
  const a = await admin.post(`/admin/keys/${keyId(A)}/check`);
  assert.is(a.status, 200);
  assert.equal({ ...a.json.credit, checked_at: undefined }, {
    limit: 10, limit_remaining: 7.5, limit_reset: 'monthly', usage: 2.5, usage_daily: 2.5, usage_weekly: 2.5, usage_monthly: 2.5,
    is_free_tier: false, checked_at: undefined,
  });
  assert.ok(Math.abs(Date.parse(a.json.credit.checked_at) - Date.now()) < 60_000);
  const c = await admin.post(`/admin/keys/${keyId(C)}/check`);
  assert.is(c.json.status, 'inactive');
  assert.is(c.json.credit.limit_remaining, 0);
  assert.ok(c.json.inactive_since !== null && c.json.next_probe_at !== null);
  // Never picked while spent.
  for (let i = 0; i < 12; i++) assert.is((await raw(r.server.url, 'POST', '/v1/chat/completions', JSON.stringify({ model: 'm/x', messages: hello }))).status, 200);
  assert.is(r.mock.inferenceCallsFor(C).length, 0);
  r.mock.keyInfo(C, { limit: 10, limit_remaining: 5, usage: 5 });
  const back = await admin.post(`/admin/keys/${keyId(C)}/check`);
  assert.is(back.json.status, 'active');
  assert.is(back.json.inactive_since, null);
});

t('the slow refresh goes round the pool a few keys a tick and records only meaningful changes', async ({ r, admin }) => {
  r.mock.keyInfo(B, { usage: 1 });
  r.mock.keyInfo(D, { limit: 100, limit_remaining: 50, usage: 50 });
  const refresher = new CreditRefresher(r.server.rt);
  const before = r.mock.probesFor(B) + r.mock.probesFor(D);
  // 4 keys, a 1-minute period, 30 s ticks: 2 keys a tick, B and D never checked, so asked first.
  assert.is(await refresher.runOnce(), 2);
  assert.is(r.mock.probesFor(B) + r.mock.probesFor(D), before + 2);
  assert.is((await row(admin, B)).credit.usage, 1);
  assert.is((await row(admin, D)).credit.limit_remaining, 50);
  assert.is(await refresher.runOnce(), 0, 'A and C were checked less than a period ago');
  const events = await creditEvents(admin, D);
  assert.is(events, 1);
  r.mock.keyInfo(D, { limit: 100, limit_remaining: 49.9995, usage: 50.0005 }); // a fraction of a cent
  // Two minutes pass for D's last check (due again): this suite runs on the real clock, so the check's
  // time is moved back in the runtime; no route can age it.
  (r.server.rt.projection.state.keys[keyId(D)].credit as { checked_at: number }).checked_at -= 120_000;
  const probes = r.mock.probesFor(D);
  await new CreditRefresher(r.server.rt).runOnce(); // a fresh refresher: a restart, or the next lease holder
  assert.is(r.mock.probesFor(D), probes + 1);
  assert.is(await creditEvents(admin, D), events, 'a tiny change is not an event');
  r.mock.keyInfo(D, { limit: 100, limit_remaining: 40, usage: 60 });
  (r.server.rt.projection.state.keys[keyId(D)].credit as { checked_at: number }).checked_at -= 120_000;
  await new CreditRefresher(r.server.rt).runOnce();
  assert.is(await creditEvents(admin, D), events + 1);
  assert.is((await row(admin, D)).credit.limit_remaining, 40);

  const s = (await admin.get('/admin/app-status')).json;
  assert.equal(s.credit, { limit_remaining_sum: 7.5 + 5 + 40, keys_with_limit: 3, keys_without_limit: 1, keys_out_of_credit: 0, keys_unchecked: 0 });
});

t('success rate from the request log: the failing key sorts first, missing values last', async ({ r, admin }) => {
  assert.is((await admin.post('/admin/add-keys', { key_data: E })).json.added_count, 1);
  r.mock.behave(A, scenarios.serverError()).behave(B, scenarios.ok()).behave(C, scenarios.ok()).behave(D, scenarios.ok()).behave(E, scenarios.badModel());
  for (let i = 0; i < 24; i++) await raw(r.server.url, 'POST', '/v1/chat/completions', JSON.stringify({ model: 'm/x', messages: hello }));
  // The request log is written in batches and the key table reads its figures through a 10 s cache:
  // both are pushed in the runtime rather than waited out.
  await r.server.rt.requestLog.writer.flush();
  await r.server.rt.requestLog.health.refresh(true);
  const worst = await admin.get('/admin/key-status?sort=success_rate&limit=100');
  assert.is(worst.status, 200);
  const ids = worst.json.keys.map((k: any) => k.id);
  assert.is(ids[0], keyId(A));
  // A also answered some requests in the first test; B and C never failed.
  assert.ok(worst.json.keys[0].success_rate < 1);
  assert.equal(worst.json.keys.slice(1, 4).map((k: any) => k.success_rate), [1, 1, 1]);
  assert.is(worst.json.keys[0].requests_24h, r.mock.inferenceCallsFor(A).length);
  assert.ok(worst.json.keys[0].requests_24h > 0);
  // E only ever answered the caller's mistakes: no rate, so it sorts last either way.
  assert.ok(r.mock.inferenceCallsFor(E).length > 0);
  assert.is(ids.at(-1), keyId(E));
  assert.is(worst.json.keys.at(-1).success_rate, null);
  const best = await admin.get('/admin/key-status?sort=success_rate&order=desc&limit=100');
  assert.is(best.json.keys.at(-1).id, keyId(E));
  assert.is(best.json.keys.at(-2).id, keyId(A));
  const byCredit = await admin.get('/admin/key-status?sort=credit_remaining&limit=100');
  assert.equal(byCredit.json.keys.map((k: any) => k.credit?.limit_remaining ?? null), [5, 7.5, 40, null, null]);
  for (const q of ['sort=nope', 'order=up']) assert.is((await admin.get(`/admin/key-status?${q}`)).status, 400, q);
});

t.run();
