// Every way a client request can end leaves exactly one request-log row that says how: a client that
// leaves (499, client_abort), a stream cut after its first data (the status the client got, the
// failure's class), every key failing, and a shutdown that ends an answer still in flight.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { keyId } from '../../src/domain/key-lines';
import { scenarios, waitUntil } from '../helpers/mock-upstream';
import { hello, orKey, raw, rig, type Rig } from './proxy-harness';

const A = orKey('endings-a');
const B = orKey('endings-b');

interface Ctx { r: Rig }
const t = suite<Ctx>('request log: every ending', {} as Ctx);
t.before(async (ctx) => { ctx.r = await rig([[A, 1], [B, 1]], { KEY_MAX_CONSECUTIVE_FAILURES: '1000', SHUTDOWN_GRACE_SECONDS: '0' }); });
t.after(async ({ r }) => { await r.close(); });
t.before.each(({ r }) => { r.mock.reset(); });

async function newest(r: Rig, n = 1) {
  await r.server.rt.requestLog.writer.flush();
  return r.server.rt.requestLog.store.page({}, n, 0);
}

t('a client that leaves is logged once as client_abort with 499 and the key it was waiting on', async ({ r }) => {
  r.mock.behave(A, scenarios.hang()).behave(B, scenarios.hang());
  const before = (await newest(r))[0]?.id ?? 0;
  const ac = new AbortController();
  const pending = r.client.chat.completions.create({ model: 'm/x', messages: hello }, { signal: ac.signal }).catch((e: unknown) => e);
  await waitUntil(() => r.mock.received.length === 1, 1000);
  ac.abort();
  await pending;
  await waitUntil(() => r.mock.abortedRequests === 1, 1000);
  await waitUntil(() => r.server.rt.requestLog.writer.stats.queued > 0 || r.server.rt.requestLog.writer.stats.written > 0, 1000);
  const [row] = await newest(r);
  assert.ok(row.id > before);
  assert.is(row.outcome, 'client_abort');
  assert.is(row.status, 499);
  assert.is(row.keys_tried.length, 1);
  assert.is(row.keys_tried[0].outcome, 'client_abort');
  assert.is(row.ttfb_ms, null);
});

t('a stream cut after its first data: the client got 200, the row says transient', async ({ r }) => {
  r.mock.behave(A, scenarios.cutAfterFirstChunk()).behave(B, scenarios.cutAfterFirstChunk());
  const a = await raw(r.server.url, 'POST', '/v1/chat/completions', JSON.stringify({ model: 'm/x', messages: hello, stream: true }));
  assert.is(a.status, 200);
  const [row] = await newest(r);
  assert.is(row.stream, true);
  assert.is(row.status, 200);
  assert.is(row.outcome, 'transient');
  assert.is(row.attempts, 1, 'after data has reached the client no other key is tried');
  assert.ok(row.ttfb_ms !== null);
});

t('every key failing: one row with both keys, the last class, and the error status', async ({ r }) => {
  r.mock.behave(A, scenarios.rateLimited()).behave(B, scenarios.serverError());
  const a = await raw(r.server.url, 'POST', '/v1/chat/completions', JSON.stringify({ model: 'm/x', messages: hello }));
  const [row] = await newest(r);
  assert.is(row.status, a.status);
  assert.equal(new Set(row.keys_tried.map((k) => k.id)), new Set([keyId(A), keyId(B)]));
  assert.is(row.outcome, row.keys_tried[1].outcome);
  assert.is(row.key_id, row.keys_tried[1].id);
});

t('a shutdown that ends a request in flight still logs it (503, transient), durable before the database closes', async (ctx) => {
  const { r } = ctx;
  r.mock.behave(A, scenarios.hang()).behave(B, scenarios.hang());
  const pending = raw(r.server.url, 'POST', '/v1/chat/completions', JSON.stringify({ model: 'm/shutdown', messages: hello })).catch((e: unknown) => e);
  await waitUntil(() => r.mock.received.length === 1, 1000);
  const server = await r.server.restart();
  r.server = server;
  const answer = await pending;
  assert.is((answer as { status: number }).status, 503);
  const rows = await server.rt.requestLog.store.page({ model: 'm/shutdown' }, 5, 0);
  assert.is(rows.length, 1);
  assert.is(rows[0].status, 503);
  assert.is(rows[0].outcome, 'transient');
});

t.run();
