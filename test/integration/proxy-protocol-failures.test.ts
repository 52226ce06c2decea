// Every failure class on /v1/messages and /v1/responses behaves as on chat completions, with the
// official Anthropic and OpenAI SDKs as clients, JSON and streamed: what the key suffers (deactivated,
// cooled, rested for :free only, left alone) and what the client sees (the answer of the next key, or
// one clear error in the protocol's own shape that the SDK raises as the right class). Also: the mock
// speaks OpenRouter's Messages stream (the SDK throws on it directly), a client sending both
// credentials, a pool key echoed by the upstream, cost read from the last usage event, /api/v1.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { scenarios, waitUntil, type Scenario } from '../helpers/mock-upstream';
import type { RequestSummary } from '../../src/proxy/request-summary';
import { orKey, raw, reactivateAll, rig, type Rig } from './proxy-harness';

const A = orKey('protocol-failures-a'); // weight 1000: almost always the first pick
const B = orKey('protocol-failures-b');

interface Ctx { r: Rig; anthropic: Anthropic }
const t = suite<Ctx>('failure classes on /v1/messages and /v1/responses', {} as Ctx);
t.before(async (ctx) => {
  ctx.r = await rig([[A, 1000], [B, 1]], { REQUEST_TIMEOUT_SECONDS: '1', STREAM_IDLE_TIMEOUT_SECONDS: '1', WAIT_FOR_KEY_MS: '0' });
  ctx.anthropic = new Anthropic({ baseURL: ctx.r.server.url, apiKey: 'client-token', maxRetries: 0, timeout: 20_000 });
});
t.after(async ({ r }) => { await r.close(); });
t.before.each(async ({ r }) => { r.mock.reset(); await reactivateAll(r.server); });

type Proto = 'messages' | 'responses';
const PROTOS: Proto[] = ['messages', 'responses'];

/** One request with the protocol's SDK: the text it read, or the error it raised. */
async function ask(ctx: Ctx, p: Proto, stream: boolean, model = 'openai/gpt-4o-mini'): Promise<{ text: string; error: unknown }> {
  try {
    if (p === 'messages') {
      const body = { model, max_tokens: 100, messages: [{ role: 'user' as const, content: 'Say hello' }] };
      const msg = stream ? await ctx.anthropic.messages.stream(body).finalMessage() : await ctx.anthropic.messages.create(body);
      return { text: msg.content.map((c) => (c.type === 'text' ? c.text : '')).join(''), error: null };
    }
    if (!stream) return { text: (await ctx.r.client.responses.create({ model, input: 'Say hello' })).output_text, error: null };
    let text = '';
    const s = await ctx.r.client.responses.create({ model, input: 'Say hello', stream: true });
    for await (const e of s) if (e.type === 'response.output_text.delta') text += e.delta;
    return { text, error: null };
  } catch (error) {
    return { text: '', error };
  }
}

/** A key failure the next key covers: the client gets its answer; the first key is judged as on chat. */
const covered: { name: string; sc: () => Scenario; model?: string; check(r: Rig): void }[] = [
  { name: 'credential (401): deactivated', sc: scenarios.userNotFound, check: (r) => {
    assert.is(r.key(A).active, false);
    assert.is(r.key(A).lastFailureClass, 'credential');
  } },
  { name: 'quota (402): cooled', sc: () => scenarios.noCredits(), check: (r) => {
    assert.is(r.key(A).lastFailureClass, 'quota');
    assert.ok((r.key(A).coolUntil ?? 0) > Date.now());
  } },
  { name: 'rate limit, key scope: rested until its reset', sc: () => scenarios.keyRateLimited({ retryAfterSec: 30 }), check: (r) => {
    assert.is(r.key(A).lastFailureClass, 'rate_limit');
    assert.ok((r.key(A).coolUntil ?? 0) > Date.now() + 20_000);
  } },
  { name: 'rate limit, model scope (a provider\'s 429): the key is left alone', sc: () => scenarios.upstreamRateLimited(), check: (r) => {
    assert.is(r.key(A).coolUntil, null);
    assert.is(r.key(A).freeCoolUntil, null);
    assert.is(r.key(A).consecutiveFailures, 0);
  } },
  { name: 'rate limit, free scope (free-models-per-day): rested for :free models only', sc: () => scenarios.freeModelsPerDay(), model: 'deepseek/deepseek-chat-v3-0324:free', check: (r) => {
    assert.is(r.key(A).lastFailureClass, 'quota');
    assert.is(r.key(A).coolUntil, null);
    assert.ok((r.key(A).freeCoolUntil ?? 0) > Date.now());
  } },
  { name: 'transient (500): not cooled', sc: scenarios.serverError, check: (r) => {
    assert.is(r.key(A).lastFailureClass, 'transient');
    assert.is(r.key(A).coolUntil, null);
  } },
];

for (const p of PROTOS) {
  for (const stream of [false, true]) {
    for (const c of covered) {
      t(`${p}${stream ? ' stream' : ''}: ${c.name}; the next key answers`, async (ctx) => {
        ctx.r.mock.behave(A, c.sc());
        const { text, error } = await ask(ctx, p, stream, c.model);
        assert.is(error, null);
        assert.is(text, 'Hello from mock');
        assert.equal(ctx.r.mock.received.map((x) => [x.route, x.key]), [[`/${p}`, A], [`/${p}`, B]]);
        c.check(ctx.r);
      });
    }
  }
}

for (const p of PROTOS) {
  t(`${p}: a caller error (400) comes back after one try in the protocol's shape; no key is blamed`, async (ctx) => {
    ctx.r.mock.behave(A, scenarios.badModel());
    for (const stream of [false, true]) {
      const { error } = await ask(ctx, p, stream);
      assert.instance(error, p === 'messages' ? Anthropic.BadRequestError : OpenAI.BadRequestError);
      assert.match((error as Error).message, 'is not a valid model ID');
    }
    assert.equal(ctx.r.mock.received.map((x) => x.key), [A, A]);
    assert.is(ctx.r.key(A).consecutiveFailures, 0);
    assert.is(ctx.r.key(A).coolUntil, null);
  });

  t(`${p}: every key rate-limited: one 429 the SDK raises as RateLimitError, with Retry-After`, async (ctx) => {
    for (const k of [A, B]) ctx.r.mock.behave(k, scenarios.keyRateLimited({ retryAfterSec: 30 }));
    for (const stream of [false, true]) {
      await reactivateAll(ctx.r.server);
      const { error } = await ask(ctx, p, stream);
      assert.instance(error, p === 'messages' ? Anthropic.RateLimitError : OpenAI.RateLimitError);
      const e = error as { headers: Headers; error: unknown };
      assert.ok(Number(e.headers.get('retry-after')) > 0);
      if (p === 'messages') assert.equal((e.error as { type: string; error: { type: string } }).error.type, 'rate_limit_error');
      else assert.is((e.error as { code: string }).code, 'rate_limited');
    }
  });

  t(`${p}: every key failing transiently: 502 in the protocol's shape, each key tried once`, async (ctx) => {
    for (const k of [A, B]) ctx.r.mock.behave(k, scenarios.serverError());
    const { error } = await ask(ctx, p, true);
    assert.instance(error, p === 'messages' ? Anthropic.InternalServerError : OpenAI.InternalServerError);
    assert.is((error as { status: number }).status, 502);
    if (p === 'messages') assert.is((error as { error: { type: string } }).error.type, 'error');
    assert.equal(ctx.r.mock.received.map((x) => x.key), [A, B]);
  });
}

t('responses: store: true and previous_response_id are OpenRouter\'s 400 (stateless), passed on after one try; no key is blamed', async ({ r }) => {
  for (const extra of [{ store: true }, { previous_response_id: 'gen-earlier' }]) {
    const err = await r.client.responses.create({ model: 'openai/gpt-4o-mini', input: 'hi', ...extra }).then(() => null, (e: unknown) => e);
    assert.instance(err, OpenAI.BadRequestError);
    assert.is((err as { code: string }).code, 'invalid_prompt');
  }
  assert.equal(r.mock.received.map((x) => x.key), [A, A]);
  assert.is(r.key(A).consecutiveFailures, 0);
  const ok = await r.client.responses.create({ model: 'openai/gpt-4o-mini', input: 'hi', store: false });
  assert.is(ok.output_text, 'Hello from mock', 'store: false (what Codex sends) is fine');
});

t('the mock speaks OpenRouter\'s Messages stream: the Anthropic SDK throws on it directly, and not through the proxy', async (ctx) => {
  const direct = new Anthropic({ baseURL: ctx.r.mock.url.replace(/\/v1$/, ''), apiKey: A, maxRetries: 0 });
  const body = { model: 'anthropic/claude-haiku-4.5', max_tokens: 100, messages: [{ role: 'user' as const, content: 'Say hello' }] };
  const quiet = console.error; // the SDK prints the chunk it could not parse
  console.error = () => {};
  const err = await direct.messages.stream(body).finalMessage().then(() => null, (e: unknown) => e).finally(() => { console.error = quiet; });
  assert.instance(err, Error, 'OpenRouter\'s trailing event: data / data: [DONE] breaks the SDK');
  assert.match((err as Error).message, 'JSON');
  const { text, error } = await ask(ctx, 'messages', true);
  assert.is(error, null);
  assert.is(text, 'Hello from mock');
});

t('a client sending both x-api-key and Bearer: exactly one credential goes upstream, the pool key', async ({ r }) => {
  const body = JSON.stringify({ model: 'openai/gpt-4o-mini', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
  const a = await raw(r.server.url, 'POST', '/v1/messages', body, { 'x-api-key': 'client-x', authorization: 'Bearer client-b', 'anthropic-version': '2023-06-01' });
  assert.is(a.status, 200);
  const up = r.mock.received[0];
  assert.is(up.credentials, 1);
  assert.is(up.key, A);
  assert.is(up.headers['x-api-key'], undefined);
});

for (const p of PROTOS) {
  t(`${p}: a pool key echoed whole, without its prefix or in part, in content, a failure event or a JSON answer never reaches the client`, async ({ r }) => {
    const hex = A.slice('sk-or-v1-'.length);
    const body = (stream: boolean): string => JSON.stringify(p === 'messages'
      ? { model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], stream }
      : { model: 'm', input: 'hi', stream });
    r.mock.behave(A, scenarios.ok({ chunks: [`full ${A} `, `bare ${hex} `, `part ${hex.slice(0, 20)} `, `tail ${hex.slice(30)}`] }));
    const a = await raw(r.server.url, 'POST', `/v1/${p}`, body(true));
    assert.is(a.status, 200);
    for (const piece of [A, hex, hex.slice(0, 20), hex.slice(30)]) assert.not.ok(a.text.includes(piece), piece.slice(0, 12));
    assert.match(a.text, '[redacted]');

    r.mock.behave(A, scenarios.midStreamError({ code: 502, message: `upstream saw key ${hex}` }));
    const b = await raw(r.server.url, 'POST', `/v1/${p}`, body(true));
    assert.not.ok(b.text.includes(hex.slice(0, 16)));
    assert.match(b.text, p === 'messages' ? 'event: error' : 'response.failed');
    assert.not.ok(b.text.includes('[DONE]') || b.text.includes('message_stop'), 'a failed stream never ends cleanly');

    r.mock.behave(A, scenarios.ok({ chunks: [`json ${hex}`] }));
    const c = await raw(r.server.url, 'POST', `/v1/${p}`, body(false));
    assert.not.ok(c.text.includes(hex.slice(0, 16)));

    r.mock.behave(A, scenarios.status(400, { error: { code: 400, message: `bad key ${A}` } }));
    const d = await raw(r.server.url, 'POST', `/v1/${p}`, body(false));
    assert.is(d.status, 400);
    assert.not.ok(d.text.includes(hex.slice(0, 16)), 'nor in an upstream error (re-wrapped in Anthropic\'s shape on /messages)');
  });
}

t('usage and cost come from message_delta and response.completed, streamed and not', async (ctx) => {
  const seen: RequestSummary[] = [];
  const pc = (ctx.r.server.app as unknown as { proxyContext: { onRequestDone?: (s: RequestSummary) => void } }).proxyContext;
  pc.onRequestDone = (s) => seen.push(s);
  try {
    for (const p of PROTOS) {
      for (const stream of [false, true]) {
        const before = seen.length;
        assert.is((await ask(ctx, p, stream)).error, null);
        await waitUntil(() => seen.length === before + 1);
        const s = seen[before];
        assert.is(s.protocol, p);
        assert.is(s.output_tokens, 3, `${p} ${stream}`);
        assert.ok((s.input_tokens ?? 0) > 0, `${p} ${stream}: input tokens from the final usage, not message_start's zeros`);
        assert.ok((s.cost ?? 0) > 0, `${p} ${stream}: cost`);
        assert.match(s.generation_id ?? '', /^gen-/);
      }
    }
  } finally {
    pc.onRequestDone = undefined;
  }
});

t('/api/v1 answers as /v1 on every route: embeddings, completions, models/:id, generation', async ({ r }) => {
  const viaApi = new OpenAI({ baseURL: `${r.server.url}/api/v1`, apiKey: 'client-token', maxRetries: 0 });
  const emb = await viaApi.embeddings.create({ model: 'openai/text-embedding-3-small', input: 'hi' });
  assert.ok(emb.data[0].embedding.length > 0);
  const comp = await viaApi.completions.create({ model: 'openai/gpt-3.5-turbo-instruct', prompt: 'hi' });
  assert.is(comp.choices[0].text, 'Hello from mock');
  const models = await viaApi.models.list();
  const one = await viaApi.models.retrieve(models.data[0].id);
  assert.is(one.id, models.data[0].id);
  const msg = await new Anthropic({ baseURL: `${r.server.url}/api`, apiKey: 'client-token', maxRetries: 0 })
    .messages.create({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
  const g = await raw(r.server.url, 'GET', `/api/v1/generation?id=${encodeURIComponent(msg.id)}`);
  assert.is(g.status, 200, g.text);
  assert.equal(r.mock.received.filter((x) => x.method === 'POST').map((x) => x.route), ['/embeddings', '/completions', '/messages']);
});

t.run();
