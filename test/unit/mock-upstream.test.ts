import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Client, request } from 'undici';
import { scenarios, startMockUpstream, waitUntil, type MockUpstream, type StatusScenario } from '../helpers/mock-upstream';

const KEY = `sk-or-v1-${'a'.repeat(64)}`;
const KEY_B = `sk-or-v1-${'b'.repeat(64)}`;
const GEN_ID = /^gen-\d{10}-[A-Za-z0-9]{20}$/;

let up: MockUpstream;

test.before(async () => { up = await startMockUpstream(); });
test.after(async () => { await up.close(); });
test.before.each(() => { up.reset(); });

type J = Record<string, any>;

function post(path: string, body: unknown, key: string | null = KEY, signal?: AbortSignal) {
  return request(`${up.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key === null ? {} : { authorization: `Bearer ${key}` }) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal,
  });
}

function get(path: string, key: string | null = KEY) {
  return request(`${up.url}${path}`, { headers: key === null ? {} : { authorization: `Bearer ${key}` } });
}

/** SSE text → events (comment lines kept as strings, data lines parsed, [DONE] kept). */
function events(text: string): (string | J)[] {
  return text.split('\n\n').filter((e) => e !== '').map((e) => {
    if (e.startsWith(':')) return e;
    assert.ok(e.startsWith('data: '), `bad event ${e}`);
    const data = e.slice('data: '.length);
    return data === '[DONE]' ? data : (JSON.parse(data) as J);
  });
}

const chat = (extra: J = {}) => ({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], ...extra });

test('ok non-streaming: OpenRouter shape, model echoed, usage with cost', async () => {
  const res = await post('/chat/completions', chat({ model: 'anthropic/claude-3.5-sonnet' }));
  assert.is(res.statusCode, 200);
  const body = (await res.body.json()) as J;
  assert.match(body.id, GEN_ID);
  assert.is(res.headers['x-generation-id'], body.id);
  assert.is(body.model, 'anthropic/claude-3.5-sonnet');
  assert.is(body.provider, 'MockProvider');
  assert.is(body.object, 'chat.completion');
  assert.is(body.choices[0].message.content, 'Hello from mock');
  assert.is(body.choices[0].finish_reason, 'stop');
  const u = body.usage;
  assert.is(u.total_tokens, u.prompt_tokens + u.completion_tokens);
  assert.type(u.cost, 'number');
});

test('raw body is recorded byte-for-byte, with key and headers', async () => {
  const raw = '{ "model":"x/y",\n  "messages":[{"role":"user","content":"héllo 🌍"}], "zeta": 1.50 }';
  await (await post('/chat/completions', raw)).body.text();
  assert.is(up.received.length, 1);
  const r = up.received[0]!;
  assert.is(r.body, raw);
  assert.is(r.method, 'POST');
  assert.is(r.path, '/api/v1/chat/completions');
  assert.is(r.route, '/chat/completions');
  assert.is(r.key, KEY);
  assert.is(r.headers['content-type'], 'application/json');
  assert.equal((r.json as J).messages[0].content, 'héllo 🌍');
  assert.is(up.callsFor(KEY).length, 1);
  assert.is(up.callsFor(KEY_B).length, 0);
});

test('streaming: comments first, role chunk, content, finish, usage chunk, [DONE]', async () => {
  const res = await post('/chat/completions', chat({ stream: true }));
  assert.is(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), 'text/event-stream');
  const ev = events(await res.body.text());
  assert.is(ev[0], ': OPENROUTER PROCESSING');
  assert.is(ev[1], ': OPENROUTER PROCESSING');
  const role = ev[2] as J;
  assert.equal(role.choices[0].delta, { role: 'assistant', content: '' });
  assert.match(role.id, GEN_ID);
  assert.is(role.object, 'chat.completion.chunk');
  const data = ev.slice(2, -1) as J[];
  assert.ok(data.every((c) => c.id === role.id && c.model === 'openai/gpt-4o-mini'));
  const text = data.map((c) => c.choices[0]?.delta?.content ?? '').join('');
  assert.is(text, 'Hello from mock');
  const fin = data[data.length - 2]!;
  assert.is(fin.choices[0].finish_reason, 'stop');
  const usage = data[data.length - 1]!;
  assert.equal(usage.choices, []);
  assert.type(usage.usage.cost, 'number');
  assert.is(ev[ev.length - 1], '[DONE]');
});

test('streaming: chunks and chunkDelayMs are configurable, chunks arrive separately', async () => {
  up.behave(KEY, scenarios.ok({ chunks: ['a', 'b', 'c', 'd'], chunkDelayMs: 40 }));
  const res = await post('/chat/completions', chat({ stream: true }));
  const arrivals: number[] = [];
  let text = '';
  for await (const part of res.body) { arrivals.push(Date.now()); text += part.toString(); }
  const contents = (events(text).filter((e) => typeof e === 'object') as J[]).map((c) => c.choices[0]?.delta?.content).filter(Boolean);
  assert.equal(contents, ['a', 'b', 'c', 'd']);
  assert.ok(arrivals.length >= 4, `expected separate writes, got ${arrivals.length}`);
  assert.ok(arrivals[arrivals.length - 1]! - arrivals[0]! >= 100);
});

const TOOLS = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { location: { type: 'string' } } } } }];

test('tools non-streaming: message.tool_calls and finish_reason tool_calls', async () => {
  const body = (await (await post('/chat/completions', chat({ tools: TOOLS }))).body.json()) as J;
  const choice = body.choices[0];
  assert.is(choice.finish_reason, 'tool_calls');
  const call = choice.message.tool_calls[0];
  assert.is(call.type, 'function');
  assert.is(call.function.name, 'get_weather');
  assert.match(call.id, /^call_/);
  assert.ok(JSON.parse(call.function.arguments));
});

test('tools streaming: deltas reassemble to valid JSON arguments', async () => {
  up.behave(KEY, scenarios.ok({ toolArguments: '{"location":"Oslo","days":[1,2,3]}' }));
  const ev = events(await (await post('/chat/completions', chat({ tools: TOOLS, stream: true }))).body.text());
  assert.is(ev[0], ': OPENROUTER PROCESSING');
  assert.is(ev[ev.length - 1], '[DONE]');
  const data = ev.filter((e) => typeof e === 'object') as J[];
  const first = data[0]!.choices[0].delta.tool_calls[0];
  assert.match(first.id, /^call_/);
  assert.equal(first.function, { name: 'get_weather', arguments: '' });
  const calls = data.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
  const rest = calls.slice(1);
  assert.ok(rest.length >= 2, 'arguments split over several chunks');
  assert.ok(rest.every((t: J) => t.type === 'function' && t.id === undefined && t.function.name === undefined));
  const args = calls.filter((t: J) => t.index === 0).map((t: J) => t.function.arguments).join('');
  assert.equal(JSON.parse(args), { location: 'Oslo', days: [1, 2, 3] });
  const fin = data[data.length - 2]!;
  assert.equal(fin.choices[0].delta, {});
  assert.is(fin.choices[0].finish_reason, 'tool_calls');
  assert.equal(data[data.length - 1]!.choices, []);
});

test('/completions: text answers, streamed and not', async () => {
  const body = (await (await post('/completions', { model: 'openai/gpt-4o-mini', prompt: 'Say hi' })).body.json()) as J;
  assert.is(body.choices[0].text, 'Hello from mock');
  assert.match(body.id, GEN_ID);
  const ev = events(await (await post('/completions', { model: 'm/x', prompt: 'p', stream: true })).body.text());
  assert.is(ev[0], ': OPENROUTER PROCESSING');
  const data = ev.filter((e) => typeof e === 'object') as J[];
  assert.is(data.map((c) => c.choices[0]?.text ?? '').join(''), 'Hello from mock');
  assert.equal(data[data.length - 1]!.choices, []);
  assert.is(ev[ev.length - 1], '[DONE]');
});

test('/embeddings: OpenAI-shaped vectors and usage', async () => {
  const body = (await (await post('/embeddings', { model: 'openai/text-embedding-3-small', input: ['a', 'b'], dimensions: 4 })).body.json()) as J;
  assert.is(body.object, 'list');
  assert.is(body.data.length, 2);
  assert.is(body.data[1].index, 1);
  assert.is(body.data[0].embedding.length, 4);
  assert.ok(body.data[0].embedding.every((n: unknown) => typeof n === 'number'));
  assert.type(body.usage.prompt_tokens, 'number');
  assert.is(body.usage.total_tokens, body.usage.prompt_tokens);
});

test('no or empty bearer: 401 "No auth credentials found"', async () => {
  for (const res of [await post('/chat/completions', chat(), null), await request(`${up.url}/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer ' }, body: '{}' })]) {
    assert.is(res.statusCode, 401);
    assert.equal(await res.body.json(), { error: { message: 'No auth credentials found', code: 401 } });
  }
});

test('429 rateLimited: Retry-After seconds, X-RateLimit-* with reset in ms, copied into metadata.headers', async () => {
  up.behave(KEY, scenarios.rateLimited({ retryAfterSec: 7 }));
  const res = await post('/chat/completions', chat());
  assert.is(res.statusCode, 429);
  assert.is(res.headers['retry-after'], '7');
  const reset = Number(res.headers['x-ratelimit-reset']);
  assert.ok(reset > Date.now() && reset < Date.now() + 60_000, 'reset is ms since epoch');
  assert.is(res.headers['x-ratelimit-remaining'], '0');
  const body = (await res.body.json()) as J;
  assert.is(body.error.code, 429);
  assert.equal(body.error.metadata.headers, {
    'X-RateLimit-Limit': res.headers['x-ratelimit-limit'], 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': String(reset),
  });
});

test('429 free-models-per-day resets at next UTC midnight (ms)', async () => {
  up.behave(KEY, scenarios.freeModelsPerDay());
  const res = await post('/chat/completions', chat({ model: 'meta-llama/llama-3.3-70b-instruct:free' }));
  const reset = Number(res.headers['x-ratelimit-reset']);
  assert.is(reset % 86_400_000, 0);
  assert.ok(reset > Date.now());
  const body = (await res.body.json()) as J;
  assert.match(body.error.message, 'free-models-per-day');
  assert.is(body.error.metadata.limit_source, 'openrouter_free_tier_daily');
});

const table: [string, StatusScenario, number, RegExp, unknown?][] = [
  ['userNotFound', scenarios.userNotFound(), 401, /^User not found\.$/],
  ['noCredits', scenarios.noCredits(), 402, /requires more credits/, null],
  ['keyLimitExceeded', scenarios.keyLimitExceeded(), 403, /^Key limit exceeded \(daily limit\)/],
  ['moderation', scenarios.moderation(), 403, /requires moderation .* flagged/, 'OpenAI'],
  ['freeModelsPerMin', scenarios.freeModelsPerMin(), 429, /free-models-per-min/, null],
  ['upstreamRateLimited', scenarios.upstreamRateLimited(), 429, /Provider returned error/, 'MockProvider'],
  ['badModel', scenarios.badModel('x/y'), 400, /^x\/y is not a valid model ID$/],
  ['noEndpoints', scenarios.noEndpoints(), 404, /No endpoints found/],
  ['overloaded', scenarios.overloaded(2), 503, /Provider returned error/, 'MockProvider'],
  ['serverError', scenarios.serverError(), 500, /Internal Server Error/],
];
for (const [name, sc, status, message, provider] of table) {
  test(`status factory ${name}: ${status}`, async () => {
    up.behave(KEY, sc);
    const res = await post('/chat/completions', chat({ stream: true }));
    assert.is(res.statusCode, status);
    assert.match(String(res.headers['content-type']), 'application/json');
    const body = (await res.body.json()) as J;
    assert.is(body.error.code, status);
    assert.match(body.error.message, message);
    if (provider !== undefined) assert.is(body.error.metadata.provider_name, provider);
  });
}

test('moderation carries reasons; overloaded carries Retry-After', async () => {
  up.behave(KEY, scenarios.moderation('m/x', ['violence', 'hate']));
  const body = (await (await post('/chat/completions', chat())).body.json()) as J;
  assert.equal(body.error.metadata.reasons, ['violence', 'hate']);
  up.behave(KEY, scenarios.overloaded(3));
  assert.is((await post('/chat/completions', chat())).headers['retry-after'], '3');
});

test('behave with a list plays in order and the last one sticks; other keys get the default', async () => {
  up.behave(KEY, [scenarios.serverError(), scenarios.ok()]);
  const codes: number[] = [];
  for (let i = 0; i < 3; i++) { const r = await post('/chat/completions', chat()); await r.body.text(); codes.push(r.statusCode); }
  assert.equal(codes, [500, 200, 200]);
  up.defaultScenario = scenarios.keyLimitExceeded();
  const r = await post('/chat/completions', chat(), KEY_B);
  assert.is(r.statusCode, 403);
  await r.body.text();
  assert.is(up.callsFor(KEY).length, 3);
});

test('midStreamError: role, one content chunk, in-band error chunk, no [DONE]', async () => {
  up.behave(KEY, scenarios.midStreamError({ code: 429, message: 'Rate limit exceeded', metadata: { error_type: 'rate_limit_exceeded' } }));
  const res = await post('/chat/completions', chat({ stream: true }));
  assert.is(res.statusCode, 200);
  const ev = events(await res.body.text());
  assert.ok(!ev.includes('[DONE]'));
  const data = ev.filter((e) => typeof e === 'object') as J[];
  assert.is(data.length, 3);
  assert.is(data[1]!.choices[0].delta.content, 'Hello');
  const last = data[2]!;
  assert.equal(last.error, { code: 429, message: 'Rate limit exceeded', metadata: { error_type: 'rate_limit_exceeded' } });
  assert.is(last.choices[0].finish_reason, 'error');
});

test('cutAfterFirstChunk: client sees the first chunk, then a broken connection; not a client abort', async () => {
  up.behave(KEY, scenarios.cutAfterFirstChunk());
  const res = await post('/chat/completions', chat({ stream: true }));
  let text = '';
  let failed = false;
  try { for await (const part of res.body) text += part.toString(); } catch { failed = true; }
  assert.ok(failed, 'body should error');
  assert.match(text, '"content":"Hello"');
  assert.not.match(text, '[DONE]');
  await new Promise((r) => setTimeout(r, 30));
  assert.is(up.abortedStreams, 0);
});

test('client abort mid-stream is counted in abortedStreams and writing stops', async () => {
  up.behave(KEY, scenarios.ok({ chunks: Array.from({ length: 20 }, (_, i) => `c${i}`), chunkDelayMs: 30 }));
  const ac = new AbortController();
  const res = await post('/chat/completions', chat({ stream: true }), KEY, ac.signal);
  let text = '';
  try {
    for await (const part of res.body) { text += part.toString(); if (text.includes('c1"')) ac.abort(); }
  } catch { /* aborted */ }
  await waitUntil(() => up.abortedStreams === 1);
  assert.is(up.abortedRequests, 1);
});

test('stall: headers and the first data chunk, then silence until the client leaves', async () => {
  up.behave(KEY, scenarios.stall());
  const ac = new AbortController();
  const res = await post('/chat/completions', chat({ stream: true }), KEY, ac.signal);
  assert.is(res.statusCode, 200);
  let text = '';
  const reading = (async () => { try { for await (const part of res.body) text += part.toString(); } catch { /* aborted */ } })();
  await new Promise((r) => setTimeout(r, 150));
  const data = events(text).filter((e) => typeof e === 'object') as J[];
  assert.is(data.length, 1);
  assert.equal(data[0]!.choices[0].delta, { role: 'assistant', content: '' });
  ac.abort();
  await reading;
  await waitUntil(() => up.abortedStreams === 1);
});

test('hang: never answers; the client timeout is counted as an abort', async () => {
  up.behave(KEY, scenarios.hang());
  const t0 = Date.now();
  let rejected = false;
  try { await post('/chat/completions', chat(), KEY, AbortSignal.timeout(100)); } catch { rejected = true; }
  assert.ok(rejected);
  assert.ok(Date.now() - t0 >= 90);
  await waitUntil(() => up.abortedRequests === 1);
  assert.is(up.abortedStreams, 0);
  assert.is(up.callsFor(KEY).length, 1, 'recorded before answering');
});

test('slowFirstByte delays the headers, then answers as ok', async () => {
  up.behave(KEY, scenarios.slowFirstByte(120));
  const t0 = Date.now();
  const res = await post('/chat/completions', chat());
  assert.ok(Date.now() - t0 >= 110);
  assert.is(res.statusCode, 200);
  await res.body.json();
});

test('GET /key: 200 info by default, keyInfo overrides, 401 for invalid keys, probes counted', async () => {
  const ok = (await (await get('/key')).body.json()) as J;
  for (const f of ['label', 'limit', 'limit_remaining', 'limit_reset', 'usage', 'is_free_tier']) assert.ok(f in ok.data, f);
  assert.is(ok.data.limit_remaining, null);

  up.keyInfo(KEY, { status: 200, limit: 10, limit_remaining: 0 });
  assert.is(((await (await get('/key')).body.json()) as J).data.limit_remaining, 0);

  up.keyInfo(KEY_B, { status: 401, limit_remaining: null });
  const bad = await get('/key', KEY_B);
  assert.is(bad.statusCode, 401);
  assert.equal(await bad.body.json(), { error: { code: 401, message: 'User not found.' } });

  const k3 = `sk-or-v1-${'c'.repeat(64)}`;
  up.behave(k3, scenarios.userNotFound());
  const r3 = await get('/auth/key', k3);
  assert.is(r3.statusCode, 401);
  await r3.body.text();

  const none = await get('/key', null);
  assert.is(none.statusCode, 401);
  await none.body.text();

  assert.is(up.probesFor(KEY), 2);
  assert.is(up.probesFor(KEY_B), 1);
  assert.is(up.probesFor(k3), 1);
});

test('GET /models: real field set, no object fields, failure switch and counter', async () => {
  const res = await get('/models', null);
  assert.is(res.statusCode, 200);
  const body = (await res.body.json()) as J;
  assert.not.ok('object' in body);
  assert.ok(body.data.length >= 3);
  for (const m of body.data as J[]) {
    assert.not.ok('object' in m);
    for (const f of ['id', 'canonical_slug', 'name', 'created', 'pricing', 'context_length', 'architecture', 'top_provider', 'per_request_limits', 'supported_parameters']) assert.ok(f in m, `${m.id} ${f}`);
    assert.type(m.pricing.prompt, 'string');
    assert.type(m.pricing.completion, 'string');
  }
  up.failModels = true;
  const fail = await get('/models', null);
  assert.is(fail.statusCode, 500);
  await fail.body.text();
  assert.is(up.modelsCalls, 2);
});

test('reset clears requests, counters and per-key settings', async () => {
  up.behave(KEY, scenarios.serverError());
  await (await post('/chat/completions', chat())).body.text();
  up.reset();
  assert.is(up.received.length, 0);
  const r = await post('/chat/completions', chat());
  assert.is(r.statusCode, 200);
  await r.body.text();
});

test('keep-alive: sequential requests reuse one connection', async () => {
  const client = new Client(new URL(up.url).origin);
  for (let i = 0; i < 3; i++) {
    const res = await client.request({ path: '/api/v1/chat/completions', method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body: JSON.stringify(chat({ stream: i === 1 })) });
    await res.body.text();
  }
  await client.close();
  const ports = new Set(up.received.map((r) => r.remotePort));
  assert.is(ports.size, 1);
});

// ---------------------------------------------------------------- /messages and /responses

test('/messages stream: typed events, message_stop, then OpenRouter\'s event: data / data: [DONE] pair; the id is the generation id', async () => {
  const res = await request(`${up.url}/messages?beta=true`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model: 'anthropic/claude-haiku-4.5', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
  });
  const text = await res.body.text();
  const names = [...text.matchAll(/^event: (\S+)$/gm)].map((m) => m[1]);
  assert.equal(names, ['message_start', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop', 'data']);
  assert.ok(text.endsWith('event: data\ndata: [DONE]\n\n'));
  const start = JSON.parse(/event: message_start\ndata: (.*)/.exec(text)![1]);
  assert.match(start.message.id, GEN_ID);
  assert.match(text, '"cost":');
  assert.is(up.received[0].key, KEY, 'x-api-key is a credential');
  assert.is(up.received[0].credentials, 1);
});

test('/responses stream: data-only events numbered from 0, response.completed with usage, then [DONE]; count_tokens is 404', async () => {
  const res = await post('/responses', { model: 'openai/gpt-4o-mini', input: 'hi', stream: true });
  const evs = events(await res.body.text()).filter((e) => typeof e !== 'string' || e === '[DONE]');
  const typed = evs.filter((e): e is J => typeof e !== 'string');
  assert.equal(typed.map((e) => e.sequence_number), typed.map((_, i) => i));
  assert.is(typed[0].type, 'response.created');
  assert.is(typed[typed.length - 1].type, 'response.completed');
  assert.ok(typed[typed.length - 1].response.usage.cost > 0);
  assert.is(evs[evs.length - 1], '[DONE]');

  const ct = await post('/messages/count_tokens', { model: 'm', messages: [] });
  assert.is(ct.statusCode, 404);
  assert.equal(await ct.body.json(), { error: { code: 404, message: 'Not Found' } });
});

test('/generation answers only the key that made the generation', async () => {
  const r = await post('/responses', { model: 'openai/gpt-4o-mini', input: 'hi' });
  const id = ((await r.body.json()) as J).id as string;
  const mine = await get(`/generation?id=${id}`);
  assert.is(mine.statusCode, 200);
  assert.is(((await mine.body.json()) as J).data.id, id);
  const other = await get(`/generation?id=${id}`, KEY_B);
  assert.is(other.statusCode, 403);
  await other.body.dump();
  const none = await get('/generation?id=gen-0-nothing');
  assert.is(none.statusCode, 404);
  await none.body.dump();
});

test('free tier: per key, N :free requests per fixed window then free-models-per-min naming the window end; refused ones count toward the day', async () => {
  let clock = Date.UTC(2026, 11, 1, 10, 0, 30);
  up.freeTier({ perWindow: 2, windowMs: 60_000, perDay: 4, now: () => clock });
  const free = chat({ model: 'x/y:free' });
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) statuses.push((await post('/chat/completions', free)).statusCode);
  assert.equal(statuses, [200, 200, 429]);
  const r = await post('/chat/completions', free);
  const body = (await r.body.json()) as J;
  assert.match(body.error.message, 'free-models-per-min');
  assert.is(r.headers['x-ratelimit-limit'], '2');
  assert.is(r.headers['x-ratelimit-reset'], String(Date.UTC(2026, 11, 1, 10, 1, 0)));
  assert.is((await post('/chat/completions', free, 'sk-or-v1-other')).statusCode, 200, 'counted per key');
  assert.is((await post('/chat/completions', chat())).statusCode, 200, 'paid models are not counted');
  clock += 60_000; // a new window, but four attempts (two refused) spent the day
  const day = await post('/chat/completions', free);
  assert.is(day.statusCode, 429);
  assert.match(((await day.body.json()) as J).error.message, 'free-models-per-day');
  assert.is(up.free429s.get(KEY), 3);
});

test.run();
