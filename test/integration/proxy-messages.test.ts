// POST /v1/messages (Anthropic Messages: Claude Code, the Anthropic SDK) through the pool, with the
// official Anthropic SDK as the client: JSON and streams (tool use included) that the SDK reads where
// OpenRouter's own trailing [DONE] pair would make it throw, failover before the first content, a cut
// and an error event after it, both upstream error shapes, count_tokens (pool keys never echoed:
// proxy-protocol-failures.test.ts).

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import Anthropic from '@anthropic-ai/sdk';
import { scenarios, waitUntil } from '../helpers/mock-upstream';
import { orKey, raw, reactivateAll, rig, type Rig } from './proxy-harness';

const A = orKey('messages-a'); // weight 1000: almost always the first pick
const B = orKey('messages-b');

const t = suite<{ r: Rig; sdk: Anthropic }>('proxy /v1/messages', {} as { r: Rig; sdk: Anthropic });
t.before(async (ctx) => {
  ctx.r = await rig([[A, 1000], [B, 1]], { REQUEST_TIMEOUT_SECONDS: '1', STREAM_IDLE_TIMEOUT_SECONDS: '1' });
  ctx.sdk = new Anthropic({ baseURL: ctx.r.server.url, apiKey: 'client-token', maxRetries: 0, timeout: 20_000 });
});
t.after(async ({ r }) => { await r.close(); });
t.before.each(async ({ r }) => { r.mock.reset(); await reactivateAll(r.server); });

const MODEL = 'anthropic/claude-haiku-4.5';
const ask = { model: MODEL, max_tokens: 100, messages: [{ role: 'user' as const, content: 'Say hello' }] };
const weather: Anthropic.Tool = { name: 'get_weather', description: 'Weather of a place', input_schema: { type: 'object', properties: { location: { type: 'string' } } } };
const streamBody = JSON.stringify({ ...ask, stream: true });

t('messages.create: the answer, its usage and generation id; one credential upstream, anthropic-* headers and the query pass', async ({ r, sdk }) => {
  const msg = await sdk.messages.create(ask, { headers: { 'anthropic-beta': 'interleaved-thinking-2025-05-14' } });
  assert.is(msg.type, 'message');
  assert.equal(msg.content.map((c) => (c.type === 'text' ? c.text : '')), ['Hello from mock']);
  assert.ok(msg.usage.output_tokens > 0);
  assert.match(msg.id, /^gen-/);
  const [up] = r.mock.received;
  assert.is(up.route, '/messages');
  assert.is(up.credentials, 1, 'the client key never goes upstream, the pool key goes once');
  assert.is(up.headers['x-api-key'], undefined);
  assert.is(up.key, A);
  assert.match(String(up.headers['anthropic-version']), /^\d{4}-\d{2}-\d{2}$/, 'the SDK\'s anthropic-version passes');
  assert.is(up.headers['anthropic-beta'], 'interleaved-thinking-2025-05-14');

  const q = await raw(r.server.url, 'POST', '/v1/messages?beta=true', JSON.stringify(ask));
  assert.is(q.status, 200);
  assert.is(r.mock.received[1].path, '/api/v1/messages?beta=true');
});

t('messages.stream().finalMessage() works through the pool; OpenRouter\'s trailing event: data / [DONE] never reaches the client', async ({ r, sdk }) => {
  const before = r.key(A).completionTokens;
  const msg = await sdk.messages.stream(ask).finalMessage();
  assert.equal(msg.content.map((c) => (c.type === 'text' ? c.text : '')), ['Hello from mock']);
  assert.is(msg.stop_reason, 'end_turn');
  assert.is(r.key(A).completionTokens - before, 3, 'usage read from the final message_delta');

  const a = await raw(r.server.url, 'POST', '/v1/messages', streamBody);
  assert.is(a.status, 200);
  assert.not.match(a.text, '[DONE]');
  assert.not.match(a.text, 'event: data');
  assert.ok(a.text.trimEnd().endsWith('data: {"type":"message_stop"}'));
  assert.match(a.headers['x-generation-id'] as string, /^gen-/);
});

t('tool use, streamed and not: the SDK assembles the tool_use block from input_json_delta', async ({ sdk }) => {
  const streamed = await sdk.messages.stream({ ...ask, tools: [weather] }).finalMessage();
  assert.is(streamed.stop_reason, 'tool_use');
  const block = streamed.content[0];
  assert.is(block.type, 'tool_use');
  if (block.type === 'tool_use') {
    assert.is(block.name, 'get_weather');
    assert.equal(block.input, { location: 'Paris, France', unit: 'celsius' });
  }
  const plain = await sdk.messages.create({ ...ask, tools: [weather] });
  assert.is(plain.content[0].type, 'tool_use');
});

t('a failing key fails over invisibly, JSON and stream: a 429 cools it, a 401 deactivates it, an error event before content costs nothing', async ({ r, sdk }) => {
  r.mock.behave(A, scenarios.keyRateLimited({ retryAfterSec: 30 }));
  const msg = await sdk.messages.create(ask);
  assert.equal(msg.content.map((c) => (c.type === 'text' ? c.text : '')), ['Hello from mock']);
  assert.equal(r.mock.received.map((x) => x.key), [A, B]);
  assert.ok((r.key(A).coolUntil ?? 0) > Date.now());

  r.mock.reset();
  await reactivateAll(r.server);
  r.mock.behave(A, scenarios.userNotFound());
  assert.is((await sdk.messages.stream(ask).finalMessage()).type, 'message');
  assert.is(r.key(A).active, false);
  assert.is(r.key(A).lastFailureClass, 'credential');

  r.mock.reset();
  await reactivateAll(r.server);
  r.mock.behave(A, scenarios.status(200, 'event: message_start\ndata: {"type":"message_start","message":{"id":"gen-x","type":"message","role":"assistant","content":[],"model":"m","usage":{"input_tokens":0,"output_tokens":0}}}\n\n'
    + 'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Provider overloaded"}}\n\n', { 'Content-Type': 'text/event-stream' }));
  const streamed = await sdk.messages.stream(ask).finalMessage();
  assert.equal(streamed.content.map((c) => (c.type === 'text' ? c.text : '')), ['Hello from mock']);
  assert.equal(r.mock.received.map((x) => x.key), [A, B]);
  const a = await raw(r.server.url, 'POST', '/v1/messages', streamBody);
  assert.is(a.text.split('event: message_start').length, 2, 'one message_start: the failed try\'s preamble was held back');
});

t('a stream cut after its first content ends with event: error: the SDK raises, no other key is appended', async ({ r, sdk }) => {
  r.mock.behave(A, scenarios.cutAfterFirstChunk());
  let text = '';
  const s = sdk.messages.stream(ask).on('text', (d) => { text += d; });
  const err = await s.finalMessage().then(() => null, (e: unknown) => e);
  assert.instance(err, Anthropic.APIError);
  assert.match((err as Error).message, 'mid-stream');
  assert.is(text, 'Hello');
  assert.is(r.mock.received.length, 1);
  assert.is(r.key(A).lastFailureClass, 'transient');
});

t('an error event mid-stream reaches the SDK as an error; an in-band 429 cools the key as the status would', async ({ r, sdk }) => {
  r.mock.behave(A, scenarios.midStreamError({ code: 429, message: 'Rate limit exceeded' }));
  const err = await sdk.messages.stream(ask).finalMessage().then(() => null, (e: unknown) => e);
  assert.instance(err, Anthropic.APIError);
  assert.match((err as Error).message, 'Rate limit exceeded');
  assert.is(r.key(A).lastFailureClass, 'rate_limit');
  assert.ok((r.key(A).coolUntil ?? 0) > Date.now());
});

t('upstream errors in either shape reach the client in Anthropic\'s; the proxy\'s own errors too', async ({ r, sdk }) => {
  r.mock.behave(A, scenarios.status(400, { error: { message: 'No endpoints available that support Anthropic\'s context management features', code: 400 } }));
  const e1 = await sdk.messages.create(ask).then(() => null, (e: unknown) => e);
  assert.instance(e1, Anthropic.BadRequestError);
  assert.equal((e1 as { error: unknown }).error, { type: 'error', error: { type: 'invalid_request_error', message: 'No endpoints available that support Anthropic\'s context management features' } });
  assert.is(r.mock.received.length, 1, 'a caller error is not retried on another key');

  const native = { type: 'error', error: { type: 'invalid_request_error', message: 'Invalid Anthropic Messages API request' }, request_id: null };
  r.mock.behave(A, scenarios.status(400, native));
  const a = await raw(r.server.url, 'POST', '/v1/messages', JSON.stringify(ask));
  assert.equal(JSON.parse(a.text), native, 'Anthropic\'s own shape passes as it came');

  const bad = await raw(r.server.url, 'POST', '/v1/messages', '{"model":');
  assert.is(bad.status, 400);
  assert.is(JSON.parse(bad.text).type, 'error');
  assert.is(JSON.parse(bad.text).error.type, 'invalid_request_error');

  for (const k of [A, B]) await r.server.rt.commands.setActive(r.key(k).id, false, 'admin');
  const none = await sdk.messages.create(ask).then(() => null, (e: unknown) => e);
  assert.instance(none, Anthropic.APIError);
  assert.is((none as { status: number }).status, 503);
  assert.is(((none as { error: { type: string } }).error).type, 'error');
});

t('count_tokens is a 404 in Anthropic\'s shape at once, without trying any key', async ({ r }) => {
  for (const prefix of ['/v1', '/api/v1']) {
    const a = await raw(r.server.url, 'POST', `${prefix}/messages/count_tokens`, JSON.stringify(ask));
    assert.is(a.status, 404);
    const body = JSON.parse(a.text);
    assert.is(body.type, 'error');
    assert.is(body.error.type, 'not_found_error');
  }
  assert.is(r.mock.received.length, 0);
});

t('ANTHROPIC_BASE_URL=http://host/api works as against OpenRouter', async ({ r }) => {
  const viaApi = new Anthropic({ baseURL: `${r.server.url}/api`, apiKey: 'client-token', maxRetries: 0 });
  const msg = await viaApi.messages.stream(ask).finalMessage();
  assert.equal(msg.content.map((c) => (c.type === 'text' ? c.text : '')), ['Hello from mock']);
});

t('with APP_API_KEY the client may send it as x-api-key (Claude Code with ANTHROPIC_API_KEY) or as Bearer', async ({ r }) => {
  const secrets = r.server.rt.secretSettings;
  await secrets.setAppApiKey('app-key-for-messages');
  try {
    const viaX = new Anthropic({ baseURL: r.server.url, apiKey: 'app-key-for-messages', maxRetries: 0 });
    assert.is((await viaX.messages.create(ask)).type, 'message');
    const viaBearer = new Anthropic({ baseURL: r.server.url, apiKey: null, authToken: 'app-key-for-messages', maxRetries: 0 });
    assert.is((await viaBearer.messages.create(ask)).type, 'message');
    const wrong = new Anthropic({ baseURL: r.server.url, apiKey: 'nope', maxRetries: 0 });
    const err = await wrong.messages.create(ask).then(() => null, (e: unknown) => e);
    assert.instance(err, Anthropic.AuthenticationError);
    assert.is((err as { error: { error: { type: string } } }).error.error.type, 'authentication_error');
    assert.ok(r.mock.received.every((x) => x.key !== 'app-key-for-messages' && x.credentials === 1));
  } finally {
    await secrets.setAppApiKey('');
  }
});

t('a client that leaves mid-stream aborts the upstream request at once', async ({ r, sdk }) => {
  r.mock.behave(A, scenarios.ok({ chunks: ['a', 'b', 'c', 'd', 'e', 'f'], chunkDelayMs: 200 }));
  const s = sdk.messages.stream(ask);
  const ended = s.finalMessage().then(() => null, (e: unknown) => e);
  await new Promise<void>((resolve) => s.on('text', () => resolve()));
  s.abort();
  assert.instance(await ended, Anthropic.APIUserAbortError);
  await waitUntil(() => r.mock.abortedStreams === 1, 2000);
});

t.run();
