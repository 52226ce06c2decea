// POST /v1/responses (OpenAI Responses: Codex CLI, the OpenAI SDK's responses.*) through the pool,
// with the official OpenAI SDK as the client: plain, streamed and with a function call; failover
// before the first content; a cut and a failure after it end with response.failed; usage and cost
// from response.completed; /api/v1 as base URL; GET /v1/generation asked with the serving key.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import OpenAI from 'openai';
import { scenarios, waitUntil } from '../helpers/mock-upstream';
import type { RequestSummary } from '../../src/proxy/request-summary';
import { orKey, raw, reactivateAll, rig, type Rig } from './proxy-harness';

const A = orKey('responses-a'); // weight 1000: almost always the first pick
const B = orKey('responses-b');

const t = suite<{ r: Rig }>('proxy /v1/responses', {} as { r: Rig });
t.before(async (ctx) => { ctx.r = await rig([[A, 1000], [B, 1]], { REQUEST_TIMEOUT_SECONDS: '1', STREAM_IDLE_TIMEOUT_SECONDS: '1' }); });
t.after(async ({ r }) => { await r.close(); });
t.before.each(async ({ r }) => { r.mock.reset(); await reactivateAll(r.server); });

const ask = { model: 'openai/gpt-4o-mini', input: 'Say hello' };
const fn: OpenAI.Responses.FunctionTool = { type: 'function', name: 'get_weather', description: 'Weather of a place', strict: false, parameters: { type: 'object', properties: { location: { type: 'string' } } } };

/** Reads a stream with the SDK: the text, the event types, and the error it raised (if any). */
async function read(client: OpenAI, body: Record<string, unknown> = ask): Promise<{ text: string; types: string[]; error: unknown }> {
  let text = '';
  const types: string[] = [];
  try {
    const s = await client.responses.create({ ...body, stream: true } as OpenAI.Responses.ResponseCreateParamsStreaming);
    for await (const e of s) {
      types.push(e.type);
      if (e.type === 'response.output_text.delta') text += e.delta;
    }
    return { text, types, error: null };
  } catch (error) {
    return { text, types, error };
  }
}

t('responses.create, plain: output_text, usage with cost, the generation id', async ({ r }) => {
  const res = await r.client.responses.create(ask);
  assert.is(res.status, 'completed');
  assert.is(res.output_text, 'Hello from mock');
  assert.match(res.id, /^gen-/);
  assert.is(r.mock.received[0].route, '/responses');
  assert.is(r.mock.received[0].key, A);
  assert.ok((res.usage?.output_tokens ?? 0) > 0);
});

t('responses.create, streamed: every event in order, response.completed last, [DONE] ends the stream', async ({ r }) => {
  const before = r.key(A).completionTokens;
  const { text, types, error } = await read(r.client);
  assert.is(error, null);
  assert.is(text, 'Hello from mock');
  assert.is(types[0], 'response.created');
  assert.is(types[types.length - 1], 'response.completed');
  assert.is(r.key(A).completionTokens - before, 3, 'usage read from response.completed');
  const a = await raw(r.server.url, 'POST', '/v1/responses', JSON.stringify({ ...ask, stream: true }));
  assert.ok(a.text.trimEnd().endsWith('data: [DONE]'));
  assert.is(a.text.split('data: [DONE]').length, 2);
});

t('a function call, plain and streamed (responses.stream().finalResponse())', async ({ r }) => {
  const plain = await r.client.responses.create({ ...ask, tools: [fn] });
  const call = plain.output[0];
  assert.is(call.type, 'function_call');
  if (call.type === 'function_call') {
    assert.is(call.name, 'get_weather');
    assert.equal(JSON.parse(call.arguments), { location: 'Paris, France', unit: 'celsius' });
  }
  const final = await r.client.responses.stream({ ...ask, tools: [fn] }).finalResponse();
  const item = final.output[0];
  assert.is(item.type, 'function_call');
  if (item.type === 'function_call') assert.equal(JSON.parse(item.arguments), { location: 'Paris, France', unit: 'celsius' });
});

t('failover before the first content: a 500, a 429 with a string code, a response.failed first event', async ({ r }) => {
  const firsts = [
    scenarios.serverError(),
    scenarios.status(429, { error: { code: 'rate_limit_exceeded', message: 'slow down' }, metadata: null }),
    scenarios.status(200, `data: ${JSON.stringify({ type: 'response.created', sequence_number: 0, response: { id: 'gen-x', status: 'in_progress' } })}\n\n`
      + `data: ${JSON.stringify({ type: 'response.failed', sequence_number: 1, response: { id: 'gen-x', status: 'failed', error: { code: 'server_error', message: 'provider down' } } })}\n\n`, { 'Content-Type': 'text/event-stream' }),
  ];
  for (const first of firsts) {
    r.mock.reset();
    await reactivateAll(r.server);
    r.mock.behave(A, first);
    const { text, types, error } = await read(r.client);
    assert.is(error, null);
    assert.is(text, 'Hello from mock');
    assert.is(types.filter((x) => x === 'response.created').length, 1, 'the failed try\'s preamble was held back');
    assert.equal(r.mock.received.map((x) => x.key), [A, B]);
  }
  assert.is(r.key(A).lastFailureClass, 'transient');
});

t('a cut after the first content ends with response.failed and an error the SDK raises; no failover', async ({ r }) => {
  r.mock.behave(A, scenarios.cutAfterFirstChunk());
  const { text, types, error } = await read(r.client);
  assert.instance(error, OpenAI.APIError);
  assert.match((error as Error).message, 'mid-stream');
  assert.is(text, 'Hello');
  assert.is(types[types.length - 1], 'response.failed');
  assert.not.ok(types.includes('response.completed'));
  assert.is(r.mock.received.length, 1);

  r.mock.behave(A, scenarios.cutAfterFirstChunk());
  const err = await r.client.responses.stream(ask).finalResponse().then(() => null, (e: unknown) => e);
  assert.instance(err, Error);
});

t('response.failed mid-stream is relayed; an in-band 402 (billing) cools the key like the status', async ({ r }) => {
  r.mock.behave(A, scenarios.midStreamError({ code: 502, message: 'Provider returned error' }));
  const { text, types, error } = await read(r.client);
  assert.instance(error, OpenAI.APIError);
  assert.match((error as Error).message, 'Provider returned error');
  assert.is(text, 'Hello');
  assert.is(types[types.length - 1], 'response.failed');
  assert.is(r.key(A).lastFailureClass, 'transient');

  r.mock.behave(A, scenarios.status(200, `data: ${JSON.stringify({ type: 'response.created', sequence_number: 0, response: { id: 'gen-y', status: 'in_progress' } })}\n\n`
    + `data: ${JSON.stringify({ type: 'response.output_text.delta', sequence_number: 1, item_id: 'm', output_index: 0, content_index: 0, delta: 'Hi' })}\n\n`
    + `data: ${JSON.stringify({ type: 'error', sequence_number: 2, code: 402, message: 'Insufficient credits', param: null })}\n\n`, { 'Content-Type': 'text/event-stream' }));
  const b = await read(r.client);
  assert.is(b.text, 'Hi');
  assert.is(b.types[b.types.length - 1], 'response.failed', 'a flat error event is closed with response.failed');
  assert.is(r.key(A).lastFailureClass, 'quota');
  assert.ok((r.key(A).coolUntil ?? 0) > Date.now());
});

t('baseURL http://host/api/v1 works for every route; /v1/generation is asked with the key that served the generation', async ({ r }) => {
  const viaApi = new OpenAI({ baseURL: `${r.server.url}/api/v1`, apiKey: 'client-token', maxRetries: 0 });
  const res = await viaApi.responses.create(ask);
  assert.is(res.output_text, 'Hello from mock');
  const chat = await viaApi.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
  assert.is(chat.choices[0].message.content, 'Hello from mock');
  assert.ok((await viaApi.models.list()).data.length > 0);

  // Make B serve a generation, then look it up: the proxy must ask with B, not with its favourite A.
  r.mock.behave(A, scenarios.serverError());
  const byB = await r.client.responses.create(ask);
  r.mock.behave(A, scenarios.ok());
  const g = await raw(r.server.url, 'GET', `/api/v1/generation?id=${encodeURIComponent(byB.id)}`);
  assert.is(g.status, 200, g.text);
  assert.is(JSON.parse(g.text).data.id, byB.id);
  assert.is(r.mock.received[r.mock.received.length - 1].key, B);
  const missing = await raw(r.server.url, 'GET', '/v1/generation');
  assert.is(missing.status, 400);
});

t('the request-done hook gets one summary per request: attempts with outcomes, tokens, cost, latency', async ({ r }) => {
  const seen: RequestSummary[] = [];
  // The hook is the extension point for the request log; set it on the running proxy for the test.
  const ctx = (r.server.app as unknown as { proxyContext?: { onRequestDone?: (s: RequestSummary) => void } }).proxyContext;
  assert.ok(ctx, 'the app exposes its proxy context');
  ctx.onRequestDone = (s) => seen.push(s);
  try {
    r.mock.behave(A, scenarios.rateLimited({ retryAfterSec: 5 }));
    await read(r.client);
    await waitUntil(() => seen.length === 1);
    const s = seen[0];
    assert.is(s.route, '/v1/responses');
    assert.is(s.protocol, 'responses');
    assert.is(s.stream, true);
    assert.is(s.status, 200);
    assert.is(s.outcome, 'success');
    assert.equal(s.attempts.map((x) => [x.key_id, x.outcome, x.status]), [[r.key(A).id, 'rate_limit', 429], [r.key(B).id, 'success', 200]]);
    assert.is(s.output_tokens, 3);
    assert.ok((s.cost ?? 0) > 0);
    assert.ok(s.ttfb_ms !== null && s.latency_ms >= s.ttfb_ms);
    assert.match(s.generation_id ?? '', /^gen-/);
  } finally {
    ctx.onRequestDone = undefined;
  }
});

t('a client that leaves mid-stream aborts the upstream request', async ({ r }) => {
  r.mock.behave(A, scenarios.ok({ chunks: ['a', 'b', 'c', 'd', 'e'], chunkDelayMs: 200 }));
  const ac = new AbortController();
  const s = await r.client.responses.create({ ...ask, stream: true }, { signal: ac.signal });
  const done = (async () => { try { for await (const e of s) if (e.type === 'response.output_text.delta') ac.abort(); } catch { /* aborted */ } })();
  await done;
  await waitUntil(() => r.mock.abortedStreams === 1, 2000);
});

t.run();
