// The proxy as OpenAI clients see it: models, chat (plain, streamed, tools), completions,
// embeddings, the body reaching the upstream unchanged, the default model, weights, APP_API_KEY
// and the request-body errors.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { scenarios } from '../helpers/mock-upstream';
import { hello, orKey, raw, rig, type Rig } from './proxy-harness';

const A = orKey('routes-a');
const B = orKey('routes-b');
const APP_KEY = 'app-key-for-the-routes-suite-0123456789';

const t = suite<{ r: Rig }>('proxy routes', {} as { r: Rig });
t.before(async (ctx) => {
  ctx.r = await rig([[A, 1], [B, 3]], {
    DEFAULT_MODEL: 'test/default-model', HTTP_REFERER: 'https://example.test/app', X_TITLE: 'Proxy Tests',
    BODY_LIMIT_BYTES: '4096', MODELS_CACHE_SECONDS: '0',
  });
});
t.after(async ({ r }) => { await r.close(); });
t.before.each(({ r }) => { r.mock.reset(); });

const weather = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Weather for a place',
    parameters: {
      type: 'object',
      properties: {
        location: { type: 'object', properties: { city: { type: 'string' }, country: { type: 'string', enum: ['FR', 'DE'] } }, required: ['city'] },
        unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
      },
      required: ['location'],
      additionalProperties: false,
    },
  },
};

t('GET /v1/models answers 502 while the upstream list has never been fetched', async ({ r }) => {
  r.mock.failModels = true;
  const a = await raw(r.server.url, 'GET', '/v1/models');
  assert.is(a.status, 502);
  assert.is(JSON.parse(a.text).error.code, 'upstream_error');
});

t('GET /v1/models lists OpenRouter models in OpenAI shape, keeping OpenRouter fields', async ({ r }) => {
  const page = await r.client.models.list();
  assert.ok(page.data.length >= 4);
  const m = page.data.find((x) => x.id === 'openai/gpt-4o-mini') as unknown as Record<string, unknown>;
  assert.is(m.object, 'model');
  assert.is(m.owned_by, 'openai');
  assert.is(m.created, 1721260800);
  assert.is(m.context_length, 128000, 'OpenRouter fields are kept');
  assert.ok(typeof (m.pricing as Record<string, string>).prompt === 'string');
  const one = await r.client.models.retrieve('anthropic/claude-3.5-sonnet');
  assert.is(one.owned_by, 'anthropic');
});

t('GET /v1/models serves the last good list when the upstream fails', async ({ r }) => {
  await r.client.models.list();
  r.mock.failModels = true;
  const stale = await r.client.models.list();
  assert.ok(stale.data.length >= 4);
  assert.ok(r.mock.modelsCalls >= 2, 'the cache expired and the upstream was asked again');
});

t('GET /v1/models forwards OpenRouter filters in the query and caches each filter apart', async ({ r }) => {
  r.mock.failModels = false;
  const a = await raw(r.server.url, 'GET', '/v1/models?output_modalities=embeddings');
  assert.is(a.status, 200);
  assert.is(JSON.parse(a.text).object, 'list');
  const seen = r.mock.received.filter((q) => q.path.startsWith('/api/v1/models')).map((q) => q.path);
  assert.ok(seen.includes('/api/v1/models?output_modalities=embeddings'), `upstream saw ${JSON.stringify(seen)}`);
});

t('chat completion (non-streaming) comes back as the upstream sent it, with usage', async ({ r }) => {
  const c = await r.client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: hello });
  assert.is(c.object, 'chat.completion');
  assert.is(c.choices[0].message.content, 'Hello from mock');
  assert.ok(c.id.startsWith('gen-'));
  assert.ok((c.usage?.total_tokens ?? 0) > 0);
  const tokens = (await (await r.admin()).get('/admin/app-status')).json.requests.tokens;
  assert.ok(tokens >= c.usage!.total_tokens, `tokens reported upstream are counted (${tokens})`);
});

t('streaming chat relays role, content, usage and ends cleanly', async ({ r }) => {
  const stream = await r.client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: hello, stream: true, stream_options: { include_usage: true } });
  let text = '';
  let usage = 0;
  let chunks = 0;
  for await (const c of stream) {
    chunks++;
    text += c.choices[0]?.delta?.content ?? '';
    if (c.usage) usage = c.usage.total_tokens;
  }
  assert.is(text, 'Hello from mock');
  assert.ok(usage > 0, 'the usage chunk reaches the client');
  assert.ok(chunks >= 5);
});

t('the stream keeps the SSE comments, sends headers for proxies, and ends with [DONE]', async ({ r }) => {
  const a = await raw(r.server.url, 'POST', '/v1/chat/completions', JSON.stringify({ model: 'm/x', stream: true, messages: hello }));
  assert.is(a.status, 200);
  assert.match(String(a.headers['content-type']), 'text/event-stream');
  assert.is(a.headers['cache-control'], 'no-cache');
  assert.is(a.headers['x-accel-buffering'], 'no');
  assert.ok(a.text.startsWith(': OPENROUTER PROCESSING\n\n'), 'comments pass through');
  assert.ok(a.text.endsWith('data: [DONE]\n\n'));
});

t('tools: a tool call comes back whole (non-streaming) and in argument fragments (streaming)', async ({ r }) => {
  const c = await r.client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: hello, tools: [weather], tool_choice: 'auto' });
  const call = c.choices[0].message.tool_calls?.[0];
  assert.ok(call && call.type === 'function');
  assert.is(call.function.name, 'get_weather');
  assert.equal(JSON.parse(call.function.arguments), { location: 'Paris, France', unit: 'celsius' });

  const stream = await r.client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: hello, tools: [weather], stream: true });
  let args = '';
  let name = '';
  let finish: string | null = null;
  for await (const ch of stream) {
    const tc = ch.choices[0]?.delta?.tool_calls?.[0];
    if (tc?.function?.name) name = tc.function.name;
    args += tc?.function?.arguments ?? '';
    finish = ch.choices[0]?.finish_reason ?? finish;
  }
  assert.is(name, 'get_weather');
  assert.equal(JSON.parse(args), { location: 'Paris, France', unit: 'celsius' });
  assert.is(finish, 'tool_calls');
  const sent = r.mock.received.at(-1)?.json as { tools: unknown[] };
  assert.equal(sent.tools[0], weather, 'nested JSON schema reached the upstream intact');
});

t('legacy completions and embeddings go through the same pool', async ({ r }) => {
  const c = await r.client.completions.create({ model: 'openai/gpt-3.5-turbo-instruct', prompt: 'Say hello' });
  assert.is(c.choices[0].text, 'Hello from mock');
  const s = await r.client.completions.create({ model: 'openai/gpt-3.5-turbo-instruct', prompt: 'Say hello', stream: true });
  let text = '';
  for await (const ch of s) text += ch.choices[0]?.text ?? '';
  assert.is(text, 'Hello from mock');
  const e = await r.client.embeddings.create({ model: 'openai/text-embedding-3-small', input: ['one', 'two'], dimensions: 4, encoding_format: 'float' });
  assert.is(e.data.length, 2);
  assert.is(e.data[1].embedding.length, 4);
  const routes = r.mock.received.map((x) => x.route);
  assert.equal(routes, ['/completions', '/completions', '/embeddings']);
});

t('the body reaches the upstream byte for byte: spacing, key order, unknown and OpenRouter fields', async ({ r }) => {
  const body = '{ "messages":[{"role":"user","content":"caf\\u00e9 ☕"}],\n  "model" : "openai/gpt-4o-mini", "provider":{"order":["DeepInfra"],"allow_fallbacks":false},'
    + '"reasoning":{"effort":"high","exclude":true},"models":["a/b","c/d"],"response_format":{"type":"json_schema","json_schema":{"name":"x","strict":true,"schema":{"type":"object","properties":{"n":{"type":"number"}}}}},'
    + '"transforms":[],"x_unknown_field":{"deep":[1,2.50,{"z":null}]},"temperature":0.70 }';
  const a = await raw(r.server.url, 'POST', '/v1/chat/completions', body);
  assert.is(a.status, 200);
  const got = r.mock.received.at(-1)!;
  assert.is(got.body, body, 'forwarded unchanged');
  assert.is(got.headers['content-type'], 'application/json');
  assert.is(got.headers['http-referer'], 'https://example.test/app');
  assert.is(got.headers['x-title'], 'Proxy Tests');
  assert.ok(got.key === A || got.key === B, 'a pool key, not the client token, goes upstream');
});

t('a missing or empty model becomes DEFAULT_MODEL, and a live change applies at once', async ({ r }) => {
  await r.client.chat.completions.create({ messages: hello } as never);
  assert.is((r.mock.received.at(-1)!.json as { model: string }).model, 'test/default-model');
  await raw(r.server.url, 'POST', '/v1/chat/completions', JSON.stringify({ model: '', messages: hello, extra: { a: 1 } }));
  assert.equal(r.mock.received.at(-1)!.json, { model: 'test/default-model', messages: hello, extra: { a: 1 } });
  await r.settings({ default_model: 'live/changed' });
  await raw(r.server.url, 'POST', '/v1/chat/completions', JSON.stringify({ messages: hello }));
  assert.is((r.mock.received.at(-1)!.json as { model: string }).model, 'live/changed');
});

t('weights 1:3 give about 1:3 over many requests', async ({ r }) => {
  const n = 400;
  for (let i = 0; i < n; i += 20) {
    await Promise.all(Array.from({ length: 20 }, () => raw(r.server.url, 'POST', '/v1/chat/completions', '{"model":"m/x","messages":[]}')));
  }
  const a = r.mock.inferenceCallsFor(A).length;
  const b = r.mock.inferenceCallsFor(B).length;
  assert.is(a + b, n);
  // A's expected share is 1/4; ±4 standard deviations at n=400 is ±0.087 (1:1 would give 0.5).
  const share = a / n;
  assert.ok(share > 0.165 && share < 0.335, `A's share ${share.toFixed(3)} (a=${a}, b=${b})`);
});

t('bad bodies get clear 400/413 errors and never reach the upstream', async ({ r }) => {
  const cases: [string, number, string][] = [
    ['{"model": "x",', 400, 'invalid_json'],
    ['[1,2]', 400, 'invalid_request'],
    ['"text"', 400, 'invalid_request'],
    ['', 400, 'invalid_json'],
    [JSON.stringify({ model: 'x', messages: [{ role: 'user', content: 'y'.repeat(5000) }] }), 413, 'body_too_large'],
  ];
  for (const [body, status, code] of cases) {
    const a = await raw(r.server.url, 'POST', '/v1/chat/completions', body);
    assert.is(a.status, status, body.slice(0, 20));
    const err = JSON.parse(a.text).error;
    assert.is(err.code, code);
    assert.ok(err.message.length > 10 && err.type);
  }
  // What only a browser's no-cors POST sends (a form, text/plain) is refused before it is parsed.
  for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x']) {
    const form = await raw(r.server.url, 'POST', '/v1/chat/completions', JSON.stringify({ model: 'x', messages: [] }), { 'content-type': type });
    assert.is(form.status, 415, type);
    assert.is(JSON.parse(form.text).error.code, 'unsupported_media_type');
  }
  assert.is(r.mock.received.length, 0);
});

t('APP_API_KEY: required when set, checked on every /v1 route, live to set, change and clear', async ({ r }) => {
  const secrets = r.server.rt.secretSettings;
  await secrets.setAppApiKey(APP_KEY);
  try {
    const none = await raw(r.server.url, 'GET', '/v1/models');
    assert.is(none.status, 401);
    assert.is(JSON.parse(none.text).error.code, 'invalid_api_key');
    const wrong = await raw(r.server.url, 'POST', '/v1/chat/completions', '{"model":"m","messages":[]}', { authorization: 'Bearer nope' });
    assert.is(wrong.status, 401);
    assert.ok(!wrong.text.includes(APP_KEY));
    await r.client.chat.completions.create({ model: 'm', messages: hello }).then(() => assert.unreachable('client-token is not the app key'), (err) => assert.is(err.status, 401));
    const right = await raw(r.server.url, 'POST', '/v1/chat/completions', '{"model":"m","messages":[]}', { authorization: `Bearer ${APP_KEY}` });
    assert.is(right.status, 200);
    assert.ok(r.mock.received.every((x) => x.headers.authorization !== `Bearer ${APP_KEY}`), 'the app key never goes upstream');
    await secrets.setAppApiKey('client-token');
    await r.client.chat.completions.create({ model: 'm', messages: hello });
    assert.is((await raw(r.server.url, 'GET', '/v1/models', undefined, { authorization: `Bearer ${APP_KEY}` })).status, 401, 'the old key stops working at once');
  } finally {
    await secrets.setAppApiKey('');
  }
  assert.is((await raw(r.server.url, 'GET', '/v1/models')).status, 200, 'cleared: open again');
});

t('an upstream 200 JSON answer to a stream request is passed on as JSON', async ({ r }) => {
  r.mock.behave(A, scenarios.status(200, { id: 'gen-1', object: 'chat.completion', choices: [] }));
  r.mock.behave(B, scenarios.status(200, { id: 'gen-1', object: 'chat.completion', choices: [] }));
  const a = await raw(r.server.url, 'POST', '/v1/chat/completions', JSON.stringify({ model: 'm', stream: true, messages: hello }));
  assert.is(a.status, 200);
  assert.equal(JSON.parse(a.text), { id: 'gen-1', object: 'chat.completion', choices: [] });
});

t.run();
