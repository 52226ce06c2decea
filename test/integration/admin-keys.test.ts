// The key routes of the admin API: add, list (paged, filtered, searched), delete, batch delete,
// weight and active/inactive, and "check now" against the mock OpenRouter. State is set up and read
// as an admin and a client would: the admin routes, and keys failing through the proxy and the mock.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { keyId } from '../../src/domain/key-lines';
import { AdminClient, fakeKey } from '../helpers/admin-client';
import { eventually } from '../helpers/eventually';
import { scenarios, startMockUpstream, type MockUpstream } from '../helpers/mock-upstream';
import { chat, chatUntilTried } from '../helpers/proxy-client';
import { startServer, type TestServer } from '../helpers/server';

interface Ctx { s: TestServer; up: MockUpstream; c: AdminClient }

const t = suite<Ctx>('admin keys');
t.before(async (ctx) => {
  ctx.up = await startMockUpstream();
  ctx.s = await startServer({ env: { OPENROUTER_BASE_URL: ctx.up.url } });
  ctx.c = new AdminClient(ctx.s.url);
  assert.is((await ctx.c.login()).status, 200);
});
t.after(async (ctx) => { await ctx.s.close(); await ctx.up.close(); });
t.before.each(async ({ c, up }) => {
  const ids = (await c.keys()).map((k) => k.id);
  if (ids.length) assert.is((await c.post('/admin/delete-keys-batch', { ids })).status, 200);
  up.reset();
});

/** The audit history's events for one key (newest first), as GET /admin/events shows them. */
const historyOf = async (c: AdminClient, id: string, query = '') => {
  const r = await c.get(`/admin/events?key_id=${id}&limit=100${query}`);
  assert.is(r.status, 200, r.text);
  return r.json.events as Array<{ seq: number; type: string; actor: string; key_id: string; data: Record<string, unknown> }>;
};

const add = async (c: AdminClient, key_data: string) => {
  const r = await c.post('/admin/add-keys', { key_data });
  assert.is(r.status, 200, r.text);
  return r.json;
};

t('add-keys reports each bad line by number, adds the good ones, and reports duplicates', async ({ c }) => {
  const report = await add(c, `${fakeKey(1)}:5\n${fakeKey(2)}, ${fakeKey(3)}:2\nhas space\n${fakeKey(4)}:0\n${fakeKey(2)}`);
  assert.is(report.added_count, 3);
  assert.is(report.invalid_count, 2);
  assert.is(report.duplicate_count, 1);
  assert.equal(report.invalid_lines, [3, 4]);
  assert.ok(report.error_messages.some((m: string) => m.startsWith('line 3:')), 'line 3 named');
  assert.ok(report.error_messages.some((m: string) => m.startsWith('line 4:') && m.includes('weight')), 'line 4 named for its weight');
  assert.ok(report.error_messages.some((m: string) => m.startsWith('line 5:') && m.includes('repeated')));
  assert.equal(report.added.map((a: { weight: number }) => a.weight), [5, 1, 2]);
  for (const a of report.added) assert.match(a.masked, /^sk-or-v1-00…[0-9a-f]{4}$/);
  const again = await add(c, fakeKey(1));
  assert.is(again.added_count, 0);
  assert.is(again.duplicate_count, 1);
  assert.match(again.error_messages[0], 'already in the pool');
  assert.not.ok(JSON.stringify(report).includes(fakeKey(1)), 'no secret in the answer');
  assert.equal((await c.keys()).map((k) => k.id).sort(), report.added.map((a: { id: string }) => a.id).sort());
});

t('add-keys refuses a missing, empty or non-string key_data, and unknown fields, naming them', async ({ c }) => {
  for (const [body, param] of [[{}, 'key_data'], [{ key_data: '  ' }, 'key_data'], [{ key_data: 5 }, 'key_data'], [{ key_data: 'x', keys: 'y' }, 'keys'], [[1], 'body']] as const) {
    const r = await c.post('/admin/add-keys', body);
    assert.is(r.status, 400, JSON.stringify(body));
    assert.is(r.json.error.param, param);
    assert.match(r.json.error.message, param === 'body' ? 'JSON object' : param);
    assert.is(r.json.error.type, 'invalid_request_error');
  }
});

t('a deleted key may be added again', async ({ c }) => {
  const [k] = (await add(c, fakeKey(10))).added;
  assert.is((await c.call('DELETE', `/admin/delete-key/${k.id}`, {})).status, 200);
  assert.is(await c.key(k.id), undefined, 'deleted');
  const again = await add(c, fakeKey(10));
  assert.is(again.added_count, 1);
  assert.is((await c.key(k.id))?.status, 'active');
});

t('two concurrent adds of the same key: one adds it, the other reports a duplicate', async ({ c }) => {
  const [a, b] = await Promise.all([add(c, fakeKey(20)), add(c, fakeKey(20))]);
  assert.equal([a.added_count, b.added_count].sort(), [0, 1]);
  assert.equal([a.duplicate_count, b.duplicate_count].sort(), [0, 1]);
  const id = a.added.concat(b.added)[0].id;
  assert.is((await historyOf(c, id, '&type=KeyAdded')).length, 1, 'one KeyAdded');
  assert.is((await c.keys()).length, 1);
});

t('key-status pages, filters by status and searches by id or suffix', async ({ c, s, up }) => {
  const keys = Array.from({ length: 25 }, (_, i) => fakeKey(100 + i));
  await add(c, keys.join('\n'));
  const p1 = (await c.get('/admin/key-status?page=1&limit=10')).json;
  assert.is(p1.total_keys, 25);
  assert.is(p1.total_pages, 3);
  assert.is(p1.keys.length, 10);
  assert.equal(p1.counts, { active: 25, cooling: 0, inactive: 0, disabled: 0 });
  const p3 = (await c.get('/admin/key-status?page=3&limit=10')).json;
  assert.is(p3.keys.length, 5);
  const past = await c.get('/admin/key-status?page=7&limit=10');
  assert.is(past.status, 200);
  assert.equal(past.json.keys, []);
  assert.is(past.json.total_keys, 25);
  assert.is(past.json.total_pages, 3);
  assert.is(past.json.page, 7);
  const all = new Set([...p1.keys, ...(await c.get('/admin/key-status?page=2&limit=10')).json.keys, ...p3.keys].map((k: { id: string }) => k.id));
  assert.is(all.size, 25, 'pages do not overlap');
  const defaults = (await c.get('/admin/key-status')).json;
  assert.is(defaults.limit, 10);
  assert.is(defaults.page, 1);

  const k = p1.keys[0];
  assert.equal(Object.keys(k).sort(), ['active', 'added_at', 'consecutive_failures', 'cool_down_until', 'failure_count', 'free_cool_down_until', 'id', 'is_active', 'key_suffix', 'last_error', 'last_failure_time', 'last_used_time', 'masked', 'status', 'total_failures', 'total_requests', 'weight',
    'credit', 'success_rate', 'requests_24h', 'inactive_since', 'next_probe_at', 'labels'].filter((f) => f !== 'active').sort());
  assert.match(k.added_at, /^\d{4}-\d\d-\d\dT.*Z$/);

  // one inactive (OpenRouter refuses its credential), one disabled by the admin, one cooling (a 429
  // naming no reset); the clients never see the failures: the proxy fails over to another key
  const secretOf = (id: string) => keys.find((x) => keyId(x) === id) as string;
  up.behave(secretOf(p1.keys[1].id), scenarios.userNotFound());
  up.behave(secretOf(p1.keys[2].id), scenarios.rateLimitedNoReset());
  assert.is((await c.patch(`/admin/keys/${p1.keys[3].id}`, { active: false })).status, 200);
  const now = Date.now();
  const answers = await chatUntilTried(s.url, up, [secretOf(p1.keys[1].id), secretOf(p1.keys[2].id)]);
  assert.equal([...new Set(answers.map((a) => a.status))], [200]);
  const counts = (await c.get('/admin/key-status')).json.counts;
  assert.equal(counts, { active: 22, cooling: 1, inactive: 1, disabled: 1 });
  const disabled = (await c.get('/admin/key-status?status=disabled')).json;
  assert.equal(disabled.keys.map((x: { id: string; is_active: boolean }) => [x.id, x.is_active]), [[p1.keys[3].id, false]]);
  const cooling = (await c.get('/admin/key-status?status=cooling')).json;
  assert.is(cooling.total_keys, 1);
  assert.is(cooling.keys[0].id, p1.keys[2].id);
  assert.ok(Date.parse(cooling.keys[0].cool_down_until) > now);
  const inactive = (await c.get('/admin/key-status?status=inactive')).json;
  assert.is(inactive.total_keys, 1);
  assert.is(inactive.keys[0].id, p1.keys[1].id);
  assert.is(inactive.keys[0].is_active, false);
  assert.is(inactive.keys[0].status, 'inactive');

  const byId = (await c.get(`/admin/key-status?q=${k.id.slice(0, 8)}`)).json;
  assert.ok(byId.keys.some((x: { id: string }) => x.id === k.id));
  const bySuffix = (await c.get(`/admin/key-status?q=${keys[7].slice(-4).toUpperCase()}`)).json;
  assert.is(bySuffix.total_keys, 1);
  assert.is(bySuffix.keys[0].key_suffix, keys[7].slice(-4));
  const none = (await c.get('/admin/key-status?q=zzzz')).json;
  assert.is(none.total_keys, 0);
  assert.is(none.total_pages, 0);
});

t('key-status refuses bad paging and filters with a 400 naming the parameter', async ({ c }) => {
  const cases: Array<[string, string]> = [
    ['limit=0', 'limit'], ['limit=101', 'limit'], ['limit=abc', 'limit'], ['limit=1.5', 'limit'], ['limit=-1', 'limit'],
    ['page=0', 'page'], ['page=abc', 'page'], ['page=1&page=2', 'page'], ['status=broken', 'status'],
  ];
  for (const [q, param] of cases) {
    const r = await c.get(`/admin/key-status?${q}`);
    assert.is(r.status, 400, q);
    assert.is(r.json.error.param, param, q);
    assert.match(r.json.error.message, param);
  }
  assert.is((await c.get('/admin/key-status?limit=100')).status, 200);
});

t('delete-key by id or by a unique suffix; 404 when unknown; 409 listing candidates when a suffix is ambiguous', async ({ c }) => {
  const a = fakeKey(1, 'ab12');
  const b = fakeKey(2, 'ab12');
  const d = fakeKey(3, 'cd34');
  const e = fakeKey(4, 'ef56');
  const report = await add(c, [a, b, d, e].join('\n'));
  const [ida, idb, idd, ide] = report.added.map((x: { id: string }) => x.id);

  const amb = await c.call('DELETE', '/admin/delete-key/ab12', {});
  assert.is(amb.status, 409);
  assert.is(amb.json.error.code, 'ambiguous_suffix');
  assert.equal(amb.json.error.candidates.map((x: { id: string }) => x.id).sort(), [ida, idb].sort());
  assert.ok((await c.key(ida)) && (await c.key(idb)), 'nothing deleted');

  const bySuffix = await c.call('DELETE', '/admin/delete-key/cd34', {});
  assert.is(bySuffix.status, 200);
  assert.match(bySuffix.json.message, idd);
  assert.is(await c.key(idd), undefined);

  const byId = await c.call('DELETE', `/admin/delete-key/${ide}`, {});
  assert.is(byId.status, 200);
  assert.is(await c.key(ide), undefined);

  const missing = await c.call('DELETE', '/admin/delete-key/ffffffffffffffff', {});
  assert.is(missing.status, 404);
  assert.is(missing.json.error.code, 'not_found');
  assert.is((await c.call('DELETE', `/admin/delete-key/${ide}`, {})).status, 404, 'deleting twice is a 404');
  const del = await historyOf(c, ide, '&type=KeyDeleted');
  assert.equal(del.map((e) => e.actor), ['admin']);
});

t('delete-keys-batch by ids (unknown ones are not counted) and by suffixes; an ambiguous suffix deletes nothing', async ({ c }) => {
  const report = await add(c, [fakeKey(1, '1111'), fakeKey(2, '2222'), fakeKey(3, '3333'), fakeKey(4, '9999'), fakeKey(5, '9999')].join('\n'));
  const ids = report.added.map((x: { id: string }) => x.id);
  const byIds = await c.post('/admin/delete-keys-batch', { ids: [ids[0], ids[1], 'ffffffffffffffff', ids[0]] });
  assert.is(byIds.status, 200);
  assert.is(byIds.json.deleted_count, 2);
  assert.is(byIds.json.requested_count, 4);
  assert.match(byIds.json.message, 'deleted 2');
  const amb = await c.post('/admin/delete-keys-batch', { suffixes: ['3333', '9999'] });
  assert.is(amb.status, 409);
  assert.ok(await c.key(ids[2]), 'the unambiguous one was not deleted either');
  assert.is((await c.keys()).length, 3);
  const bySuffix = await c.post('/admin/delete-keys-batch', { suffixes: ['3333'] });
  assert.equal([bySuffix.json.deleted_count, bySuffix.json.requested_count], [1, 1]);
  assert.equal((await c.keys()).map((k) => k.id).sort(), [ids[3], ids[4]].sort());
  for (const [body, param] of [[{}, 'ids'], [{ ids: [] }, 'ids'], [{ ids: 'abc' }, 'ids'], [{ ids: [1] }, 'ids'], [{ suffixes: [''] }, 'suffixes'], [{ ids: ['a'], all: true }, 'all']] as const) {
    const r = await c.post('/admin/delete-keys-batch', body);
    assert.is(r.status, 400, JSON.stringify(body));
    assert.is(r.json.error.param, param);
  }
});

t('PATCH /admin/keys/:id changes the weight and the active flag and answers the updated key', async ({ c }) => {
  const [k] = (await add(c, fakeKey(42))).added;
  const w = await c.call('PATCH', `/admin/keys/${k.id}`, { weight: 250 });
  assert.is(w.status, 200);
  assert.is(w.json.weight, 250);
  assert.is(w.json.id, k.id);
  assert.is((await c.key(k.id))?.weight, 250);
  const off = await c.call('PATCH', `/admin/keys/${k.id}`, { active: false });
  assert.equal([off.json.status, off.json.is_active], ['disabled', false]);
  const on = await c.call('PATCH', `/admin/keys/${k.id}`, { active: true, weight: 3 });
  assert.equal([on.json.status, on.json.is_active, on.json.weight], ['active', true, 3]);
  const types = (await historyOf(c, k.id)).map((e) => e.type);
  assert.equal(types.slice(0, 4), ['KeyReactivated', 'KeyWeightChanged', 'KeyDeactivated', 'KeyWeightChanged']);

  const bad: Array<[unknown, string]> = [
    [{ weight: 0 }, 'weight'], [{ weight: 1001 }, 'weight'], [{ weight: 1.5 }, 'weight'], [{ weight: '5' }, 'weight'],
    [{ active: 'yes' }, 'active'], [{}, 'weight'], [{ weight: 2, name: 'x' }, 'name'],
  ];
  for (const [body, param] of bad) {
    const r = await c.call('PATCH', `/admin/keys/${k.id}`, body);
    assert.is(r.status, 400, JSON.stringify(body));
    assert.is(r.json.error.param, param, JSON.stringify(body));
  }
  assert.is((await c.key(k.id))?.weight, 3, 'a refused change changes nothing');
  assert.is((await c.call('PATCH', '/admin/keys/ffffffffffffffff', { weight: 2 })).status, 404);
});

t('POST /admin/keys/:id/check probes the key now and brings a working key back', async ({ c, s, up }) => {
  const secret = fakeKey(77);
  const [k] = (await add(c, secret)).added;
  const fail = async (scenario: ReturnType<typeof scenarios.status>, status: string) => {
    up.behave(secret, scenario);
    await chat(s.url);
    assert.is((await c.key(k.id))?.status, status);
    up.behave(secret, []);
  };
  await fail(scenarios.userNotFound(), 'inactive'); // OpenRouter refused the key: inactive
  up.keyInfo(secret, { status: 200, limit_remaining: 5 });
  const ok = await c.post(`/admin/keys/${k.id}/check`);
  assert.is(ok.status, 200, ok.text);
  assert.equal([ok.json.status, ok.json.is_active], ['active', true]);
  assert.is(up.probesFor(secret), 1);
  up.keyInfo(secret, { status: 200, limit_remaining: 0 });
  await fail(scenarios.userNotFound(), 'inactive');
  const spent = await c.post(`/admin/keys/${k.id}/check`);
  assert.is(spent.json.status, 'inactive', 'a spent key stays inactive');

  // A cooling key that passes the check is back at once; a key the admin disabled stays disabled.
  // A check that shows credit again brings the spent key back (an Activate alone cannot: its credit is still spent).
  up.keyInfo(secret, { status: 200, limit_remaining: 5 });
  assert.is((await c.post(`/admin/keys/${k.id}/check`)).json.status, 'active');
  await fail(scenarios.rateLimitedNoReset(), 'cooling');
  assert.ok(Date.parse((await c.key(k.id))?.cool_down_until ?? '') > Date.now(), 'cooling for a while');
  const back = await c.post(`/admin/keys/${k.id}/check`);
  assert.equal([back.json.status, back.json.cool_down_until], ['active', null]);
  await c.call('PATCH', `/admin/keys/${k.id}`, { active: false });
  const still = await c.post(`/admin/keys/${k.id}/check`);
  assert.is(still.json.status, 'disabled', 'only Activate brings back a key the admin disabled');
  // Probe results are appended in the next batch: the history shows all five once it is written.
  const probed = await eventually(async () => {
    const e = await historyOf(c, k.id, '&type=KeyProbed');
    return e.length >= 5 && e;
  }, 'five KeyProbed events in the history');
  assert.is(probed.length, 5);
  assert.is(up.probesFor(secret), 5);
  assert.is((await c.post('/admin/keys/ffffffffffffffff/check')).status, 404);
});

t('a key is addressed by its id or its shown suffix only: longer suffixes of the secret never match, and every probe is recorded', async ({ c }) => {
  const secret = fakeKey(90, 'beef');
  const [k] = (await add(c, secret)).added;
  const before = (await c.get('/admin/events?limit=1')).json.events[0].seq as number;
  // The attack of issue 13: grow a suffix one character at a time; a 200 would confirm each guess.
  for (const guess of [secret.slice(-5), secret.slice(-8), secret.slice(-20), secret]) {
    const r = await c.call('PATCH', `/admin/keys/${guess}`, { weight: 1 });
    assert.is(r.status, 404, `suffix of ${guess.length}`);
    assert.is((await c.call('DELETE', `/admin/delete-key/${guess}`)).status, 404);
    assert.is((await c.post(`/admin/keys/${guess}/check`)).status, 404);
  }
  assert.ok(await c.key(k.id), 'nothing was deleted');
  assert.is((await c.call('PATCH', '/admin/keys/beef', { weight: 2 })).status, 200, 'the shown suffix still works');
  const unchanged = await c.call('PATCH', `/admin/keys/${k.id}`, { weight: 2 });
  assert.is(unchanged.status, 200);
  const audit = (await c.get('/admin/events?type=AdminKeyAccessed&limit=100')).json.events.filter((e: { seq: number }) => e.seq > before);
  assert.is(audit.length, 13, 'twelve misses and one unchanged weight');
  const refs = audit.map((e: { data: { ref: string } }) => e.data.ref);
  assert.not.ok(refs.some((r: string) => r.length > 16 && secret.includes(r)), 'no long part of a secret is stored');
  assert.not.ok(JSON.stringify(audit).includes(secret.slice(-20)), 'the history never holds the secret');
  const noop = audit[0];
  assert.equal([noop.key_id, noop.data.action, noop.data.outcome], [k.id, 'weight', 'unchanged']);
  assert.equal(audit.slice(1).map((e: { data: { outcome: string } }) => e.data.outcome), Array(12).fill('not_found'));
  assert.is(noop.data.client, '127.0.0.1');
  const batch = await c.post('/admin/delete-keys-batch', { suffixes: [secret.slice(-6), secret.slice(-7)] });
  assert.equal([batch.status, batch.json.deleted_count], [200, 0], 'a batch matches shown suffixes only too');
  const after = (await c.get('/admin/events?type=AdminKeyAccessed&limit=1')).json.events[0].data as { action: string; outcome: string; ref: string };
  assert.equal([after.action, after.outcome, after.ref], ['delete', 'not_found', secret.slice(-6)]);
});

t('setting a key to the state it is in is recorded as an unchanged command', async ({ c }) => {
  const [k] = (await add(c, fakeKey(91))).added;
  assert.is((await c.call('PATCH', `/admin/keys/${k.id}`, { active: true })).status, 200);
  const [last] = await historyOf(c, k.id);
  assert.equal([last.type, last.data.action, last.data.outcome], ['AdminKeyAccessed', 'activate', 'unchanged']);
});

// Through the command, not POST /admin/add-keys: 200,000 lines are more than the admin body limit.
t('200,000 invalid lines are each reported by line, in one linear pass', async ({ s }) => {
  const text = Array.from({ length: 200_000 }, (_, i) => `bad key ${i}`).join('\n');
  const report = await s.rt.commands.addKeys(text, 'admin');
  assert.is(report.invalid_count, 200_000);
  assert.is(report.invalid_lines.length, 200_000);
  assert.is(report.invalid_lines[199_999], 200_000);
  assert.is(report.added_count, 0);
});

t('bad weights and separators are refused per line, not added', async ({ c }) => {
  const key = fakeKey(92);
  const report = await add(c, `${key}:abc\n${key}:1e9\n${key}:2.5\n:5\n${fakeKey(93)};${fakeKey(94)}`);
  assert.is(report.added_count, 0);
  assert.equal(report.invalid_lines, [1, 2, 3, 4, 5]);
  assert.is(report.warnings.length, 0);
  assert.equal(await c.keys(), []);
});

t.run();
