// The health check: inactive keys are probed with GET /key (free) every HEALTH_CHECK_INTERVAL_SECONDS
// (a live setting); a key that works again comes back, a 401 or an exhausted limit keeps it out, every
// result is in the history, and nothing is probed while no key is inactive or on a non-leader.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { keyId } from '../../src/domain/key-lines';
import { keyStatus } from '../../src/domain/pool-state';
import type { EventType } from '../../src/events/types';
import { probeKey } from '../../src/health/probe-key';
import { eventually } from '../helpers/eventually';
import { scenarios, waitUntil } from '../helpers/mock-upstream';
import { orKey, raw, reactivateAll, rig, type Rig } from './proxy-harness';

const A = orKey('health-a');
const B = orKey('health-b');
const C = orKey('health-c');

const t = suite<{ r: Rig }>('health check', {} as { r: Rig });
t.before(async (ctx) => { ctx.r = await rig([[A, 1], [B, 1], [C, 1]], { HEALTH_CHECK_INTERVAL_SECONDS: '3600', HEALTH_CHECK_TIMEOUT_SECONDS: '1' }); });
t.after(async ({ r }) => { await r.close(); });
t.before.each(async ({ r }) => { r.mock.reset(); await reactivateAll(r.server); });

async function setInterval(r: Rig, seconds: number): Promise<void> {
  await r.settings({ health_check_interval_seconds: seconds });
}

interface HistoryEntry { seq: number; type: EventType; actor: string; data: unknown }

/** The key's events of `type` in GET /admin/events, newest first, once `until` holds (default: one is written). */
async function history(r: Rig, secret: string, type: EventType, until = (e: HistoryEntry[]) => e.length > 0): Promise<HistoryEntry[]> {
  const admin = await r.admin();
  return eventually(async () => {
    const events = (await admin.get(`/admin/events?key_id=${keyId(secret)}&type=${type}&limit=100`)).json.events as HistoryEntry[];
    return until(events) && events;
  }, `${type} in the history`);
}

const probes = (r: Rig) => [A, B, C].reduce((n, k) => n + r.mock.probesFor(k), 0);

t('nothing is probed while no key is inactive, even with a short interval', async ({ r }) => {
  await setInterval(r, 1);
  await new Promise((res) => setTimeout(res, 1300));
  assert.is(probes(r), 0);
});

t('a key deactivated by a 401 stays out while /key says 401, and comes back once the key works again', async ({ r }) => {
  await setInterval(r, 1);
  r.mock.behave(A, scenarios.userNotFound());
  for (let i = 0; i < 20 && r.mock.inferenceCallsFor(A).length === 0; i++) {
    await raw(r.server.url, 'POST', '/v1/chat/completions', '{"model":"m","messages":[]}');
  }
  assert.is(r.key(A).active, false);
  await waitUntil(() => r.mock.probesFor(A) >= 1, 2500);
  const failed = await history(r, A, 'KeyProbed');
  assert.is(r.key(A).active, false, 'a 401 probe keeps it inactive');
  assert.equal(failed[0].data, { ok: false, status: 401, detail: '401 User not found.' });

  r.mock.keyInfo(A, { status: 200, limit: 10, limit_remaining: 4.5 });
  r.mock.behave(A, scenarios.ok());
  await waitUntil(() => r.key(A).active, 2500);
  const probed = await history(r, A, 'KeyProbed', (e) => e.some((x) => (x.data as { ok: boolean }).ok));
  assert.equal(probed[0].data, { ok: true, status: 200, detail: 'key works (limit_remaining 4.5)' });
  const back = await history(r, A, 'KeyReactivated');
  assert.equal(back[0].data, { by: 'probe' });
  assert.is(back[0].actor, 'probe');
  assert.is(probes(r), r.mock.probesFor(A), 'only the inactive key was probed');
});

t('a key whose spend limit is used up (limit_remaining 0) stays inactive', async ({ r }) => {
  await setInterval(r, 1);
  await r.server.rt.commands.setActive(keyId(B), false, 'system'); // inactive as a failure leaves it (an admin's Deactivate is never probed)
  r.mock.keyInfo(B, { status: 200, limit: 10, limit_remaining: 0 });
  await waitUntil(() => r.mock.probesFor(B) >= 1, 2500);
  const probed = await history(r, B, 'KeyProbed');
  assert.is(r.key(B).active, false);
  assert.equal(probed[0].data, { ok: false, status: 200, detail: 'spend limit reached (limit_remaining 0)' });
});

t('a cooling key is neither used nor probed until its time is up', async ({ r }) => {
  await setInterval(r, 1);
  r.mock.behave(C, scenarios.keyRateLimited({ retryAfterSec: 300 }));
  for (let i = 0; i < 20 && r.mock.inferenceCallsFor(C).length === 0; i++) {
    await raw(r.server.url, 'POST', '/v1/chat/completions', '{"model":"m","messages":[]}');
  }
  await r.server.rt.commands.setActive(keyId(B), false, 'system'); // inactive as a failure leaves it (an admin's Deactivate is never probed) // something to probe, so rounds run
  r.mock.keyInfo(B, { status: 401 });
  await waitUntil(() => r.mock.probesFor(B) >= 1, 2500); // a round ran: C would have been probed in it
  assert.is(r.mock.probesFor(C), 0);
  assert.is(r.mock.inferenceCallsFor(C).length, 1);
});

t('the health check never undoes an admin\'s Deactivate: a disabled key is not probed; only Activate brings it back', async ({ r }) => {
  await setInterval(r, 1);
  const admin = keyId(A);
  await r.server.rt.commands.setActive(admin, false, 'admin');
  await r.server.rt.commands.setActive(keyId(B), false, 'system'); // something to probe, so rounds run
  r.mock.keyInfo(A, { status: 200 }).keyInfo(B, { status: 401 });
  await waitUntil(() => r.mock.probesFor(B) >= 2, 3500);
  assert.is(r.mock.probesFor(A), 0, 'never probed');
  assert.is(keyStatus(r.key(A), Date.now()), 'disabled');
  await r.server.rt.commands.setActive(admin, true, 'admin');
  assert.is(keyStatus(r.key(A), Date.now()), 'active');
});

t('only the leader probes', async ({ r }) => {
  await setInterval(r, 1);
  r.server.rt.setLeader(() => false);
  try {
    await r.server.rt.commands.setActive(keyId(B), false, 'system'); // inactive as a failure leaves it (an admin's Deactivate is never probed)
    await new Promise((res) => setTimeout(res, 1300));
    assert.is(probes(r), 0);
  } finally {
    r.server.rt.setLeader(() => true);
  }
});

t('probeKey(rt, id) checks one key now: an active key that answers 401 is deactivated; unknown ids give null', async ({ r }) => {
  await setInterval(r, 3600);
  r.mock.behave(C, scenarios.userNotFound());
  const res = await probeKey(r.server.rt, keyId(C));
  assert.equal(res, { ok: false, status: 401, detail: '401 User not found.', reactivated: false, deactivated: true });
  assert.is(r.key(C).active, false);
  r.mock.keyInfo(C, { status: 200 });
  const again = await probeKey(r.server.rt, keyId(C));
  assert.equal(again, { ok: true, status: 200, detail: 'key works (no spend limit)', reactivated: true, deactivated: false });
  assert.is(r.key(C).active, true);
  assert.is(await probeKey(r.server.rt, 'ffffffffffffffff'), null);
});

t('a probe that gets no answer in HEALTH_CHECK_TIMEOUT_SECONDS is recorded as failed', async ({ r }) => {
  await setInterval(r, 3600);
  await r.server.rt.commands.setActive(keyId(A), false, 'admin');
  r.mock.keyInfo(A, { status: 200, delayMs: 3000 });
  const res = await probeKey(r.server.rt, keyId(A));
  assert.equal(res, { ok: false, status: null, detail: 'no answer within 1 s', reactivated: false, deactivated: false });
  assert.is(r.key(A).active, false);
});

t.run();
