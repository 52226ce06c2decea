// Streams (DESIGN.md "Streams"): failover stays possible until the first data line reached the
// client; after it, a cut, an idle upstream or an in-band error ends the stream so that the OpenAI
// SDK raises; two answers are never concatenated; a client that leaves aborts the upstream at once.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import OpenAI from 'openai';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { eventually } from '../helpers/eventually';
import { startServer } from '../helpers/server';
import { scenarios, waitUntil, type Scenario } from '../helpers/mock-upstream';
import { adminOf, hello, orKey, raw, reactivateAll, rig, type Rig } from './proxy-harness';

const A = orKey('streams-a'); // weight 1000: almost always the first pick
const B = orKey('streams-b');

const t = suite<{ r: Rig }>('proxy streams', {} as { r: Rig });
t.before(async (ctx) => { ctx.r = await rig([[A, 1000], [B, 1]], { REQUEST_TIMEOUT_SECONDS: '1', STREAM_IDLE_TIMEOUT_SECONDS: '1' }); });
t.after(async ({ r }) => { await r.close(); });
t.before.each(async ({ r }) => { r.mock.reset(); await reactivateAll(r.server); });

const body = JSON.stringify({ model: 'openai/gpt-4o-mini', stream: true, messages: hello });
const sse = (text: string): Scenario => scenarios.status(200, text, { 'Content-Type': 'text/event-stream' });
const chunk = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  `data: ${JSON.stringify({ id: 'gen-1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: null }], ...extra })}\n\n`;

/** Reads a stream with the SDK; returns the text and the error it raised (if any). */
async function read(r: Rig): Promise<{ text: string; error: unknown }> {
  let text = '';
  try {
    const s = await r.client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: hello, stream: true });
    for await (const c of s) text += c.choices[0]?.delta?.content ?? '';
    return { text, error: null };
  } catch (error) {
    return { text, error };
  }
}

const failures = (r: Rig, k: string) => r.key(k).totalFailures;

t('a stream carries the upstream generation id in X-Generation-Id, as a non-streamed answer does', async ({ r }) => {
  const a = await raw(r.server.url, 'POST', '/v1/chat/completions', body);
  assert.is(a.status, 200);
  const id = a.text.match(/"id":"(gen-[^"]+)"/)?.[1];
  assert.ok(id, 'the chunks name their generation');
  assert.is(a.headers['x-generation-id'], id);
});

t('a connection cut after the first content chunk makes the SDK raise; no other key is appended', async ({ r }) => {
  r.mock.behave(A, scenarios.cutAfterFirstChunk());
  const before = failures(r, A);
  const { text, error } = await read(r);
  assert.is(text, 'Hello');
  assert.instance(error, OpenAI.APIError);
  assert.match((error as Error).message, 'mid-stream');
  assert.is(r.mock.received.length, 1, 'after data, no failover');
  assert.is(failures(r, A) - before, 1);
  assert.is(r.key(A).lastFailureClass, 'transient');
  assert.is(r.key(A).coolUntil, null);
});

t('an in-band error chunk after data is relayed as sent, the SDK raises, and the key counts a transient failure', async ({ r }) => {
  r.mock.behave(A, scenarios.midStreamError({ code: 502, message: 'Provider returned error' }));
  const before = failures(r, A);
  const { text, error } = await read(r);
  assert.is(text, 'Hello');
  assert.instance(error, OpenAI.APIError);
  assert.match((error as Error).message, 'Provider returned error');
  assert.is(failures(r, A) - before, 1);
  assert.is(r.key(A).lastFailureClass, 'transient');

  const a = await raw(r.server.url, 'POST', '/v1/chat/completions', body);
  assert.match(a.text, '"finish_reason":"error"');
  assert.not.match(a.text, '[DONE]');
});

t('an error only in choices[0] (finish_reason "error") still ends in an error the SDK raises', async ({ r }) => {
  r.mock.behave(A, sse(chunk({ role: 'assistant', content: 'Hi' })
    + `data: ${JSON.stringify({ id: 'gen-1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error', error: { code: 502, message: 'upstream died' } }] })}\n\n`
    + 'data: [DONE]\n\n'));
  const { text, error } = await read(r);
  assert.is(text, 'Hi');
  assert.instance(error, OpenAI.APIError);
  assert.match((error as Error).message, 'upstream died');
});

t('an error chunk as the first data fails over invisibly: one clean answer from another key', async ({ r }) => {
  r.mock.behave(A, sse(': OPENROUTER PROCESSING\n\ndata: {"error":{"code":502,"message":"Provider returned error"}}\n\n'));
  const before = failures(r, A);
  const a = await raw(r.server.url, 'POST', '/v1/chat/completions', body);
  assert.is(a.status, 200);
  assert.not.match(a.text, 'Provider returned error');
  assert.is(a.text.split('data: [DONE]').length, 2, 'exactly one end');
  const ids = new Set([...a.text.matchAll(/"id":"(gen-[^"]+)"/g)].map((m) => m[1]));
  assert.is(ids.size, 1, 'every chunk from one answer');
  assert.equal(r.mock.received.map((x) => x.key), [A, B]);
  assert.is(failures(r, A) - before, 1);
  r.mock.reset();
  r.mock.behave(A, sse(': OPENROUTER PROCESSING\n\ndata: {"error":{"code":502,"message":"Provider returned error"}}\n\n'));
  const { text, error } = await read(r);
  assert.is(error, null);
  assert.is(text, 'Hello from mock', 'the SDK sees one normal answer');
});

t('error statuses, a stream that ends before data, and a slow first byte all fail over before anything is sent', async ({ r }) => {
  for (const first of [scenarios.rateLimited({ retryAfterSec: 1 }), sse(': OPENROUTER PROCESSING\n\n'), scenarios.slowFirstByte(3000)]) {
    r.mock.reset();
    await reactivateAll(r.server);
    r.mock.behave(A, first);
    const { text, error } = await read(r);
    assert.is(error, null, first.kind);
    assert.is(text, 'Hello from mock');
    assert.equal(r.mock.received.map((x) => x.key), [A, B]);
  }
});

t('a stalled stream ends after the idle timeout with an error the SDK raises', async ({ r }) => {
  r.mock.behave(A, scenarios.stall());
  const { error } = await read(r);
  assert.instance(error, OpenAI.APIError);
  assert.match((error as Error).message, 'idle');
  assert.is(r.mock.received.length, 1);
});

t('every key failing before the first byte gives a plain JSON error with its status', async ({ r }) => {
  r.mock.behave(A, scenarios.overloaded()).behave(B, scenarios.overloaded());
  const a = await raw(r.server.url, 'POST', '/v1/chat/completions', body);
  assert.is(a.status, 502);
  assert.is(JSON.parse(a.text).error.code, 'upstream_error');
  const { error } = await read(r);
  assert.instance(error, OpenAI.APIError);
  assert.is((error as { status: number }).status, 502);
});

t('when only comments were relayed and every key then failed, the stream ends with an error chunk, never [DONE]', async ({ r }) => {
  const comments = sse(': OPENROUTER PROCESSING\n\n');
  r.mock.behave(A, comments).behave(B, comments);
  const a = await raw(r.server.url, 'POST', '/v1/chat/completions', body);
  assert.is(a.status, 200);
  assert.ok(a.text.startsWith(': OPENROUTER PROCESSING'));
  assert.match(a.text, /data: \{"error":\{"message":"the upstream failed \(2 keys tried\)/);
  assert.not.match(a.text, '[DONE]');
  const { error } = await read(r);
  assert.instance(error, OpenAI.APIError);
});

t('a slow reader gets the whole stream: the relay waits for the client instead of buffering or timing out', async ({ r }) => {
  const piece = 'x'.repeat(16_000);
  r.mock.behave(A, scenarios.ok({ chunks: Array.from({ length: 200 }, () => piece) }));
  const res = await request(`${r.server.url}/v1/chat/completions`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  await new Promise((done) => setTimeout(done, 1500)); // longer than the idle timeout, with megabytes waiting
  const text = await res.body.text();
  assert.ok(text.endsWith('data: [DONE]\n\n'));
  assert.is(text.split(piece).length - 1, 200);
  assert.is(r.mock.abortedStreams, 0);
});

t('a client that leaves mid-stream aborts the upstream within a second; the key is not blamed', async ({ r }) => {
  r.mock.behave(A, scenarios.ok({ chunks: Array.from({ length: 200 }, (_, i) => `w${i} `), chunkDelayMs: 50 }));
  const before = failures(r, A);
  const usedBefore = (await r.row(A))!.total_requests;
  const s = await r.client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: hello, stream: true });
  let n = 0;
  for await (const c of s) if (c.choices[0]?.delta?.content && ++n === 2) break; // break aborts the request
  await waitUntil(() => r.mock.abortedStreams === 1, 1000);
  await eventually(async () => (await r.row(A))?.total_requests === usedBefore + 1, 'the aborted stream counted as a use', 1000);
  assert.is(failures(r, A), before, 'a disconnect is never the key\'s fault');
  assert.is(r.mock.received.length, 1);
  const gauge = await r.server.rt.metrics.streamsInFlight.get();
  assert.is(gauge.values[0]?.value ?? 0, 0);
});

t('a client that leaves while waiting for a non-streaming answer aborts the upstream too', async ({ r }) => {
  r.mock.behave(A, scenarios.hang());
  const before = failures(r, A);
  const ac = new AbortController();
  const pending = r.client.chat.completions.create({ model: 'm', messages: hello }, { signal: ac.signal }).catch((e: unknown) => e);
  await waitUntil(() => r.mock.received.length === 1, 1000);
  ac.abort();
  await pending;
  await waitUntil(() => r.mock.abortedRequests === 1, 1000);
  assert.is(failures(r, A), before);
});

t('[DONE] completes the answer even when the upstream then keeps its connection open (no idle failure)', async () => {
  const up = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(chunk({ role: 'assistant', content: 'Done' }) + 'data: [DONE]\n\n'); // …and never res.end()
  });
  await new Promise<void>((ok) => up.listen(0, '127.0.0.1', ok));
  const server = await startServer({ env: {
    OPENROUTER_BASE_URL: `http://127.0.0.1:${(up.address() as AddressInfo).port}/api/v1`, OPENROUTER_API_KEYS: A, STREAM_IDLE_TIMEOUT_SECONDS: '1',
  } });
  try {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'x', maxRetries: 0 });
    let text = '';
    for await (const c of await client.chat.completions.create({ model: 'm', messages: hello, stream: true })) text += c.choices[0]?.delta?.content ?? '';
    assert.is(text, 'Done');
    await new Promise((ok) => setTimeout(ok, 1300)); // past the idle timeout
    const [key] = await (await adminOf(server)).keys();
    assert.is(key.total_failures, 0);
    assert.is(key.total_requests, 1);
  } finally {
    server.app.server.closeAllConnections();
    up.closeAllConnections();
    await server.close();
    await new Promise((ok) => up.close(ok));
  }
});

t('on shutdown a stream still running after SHUTDOWN_GRACE_SECONDS ends with an error, not a clean-looking cut', async () => {
  const r = await rig([[A, 1]], { SHUTDOWN_GRACE_SECONDS: '1' }); // its own server: this test stops it
  r.mock.behave(A, scenarios.ok({ chunks: Array.from({ length: 200 }, (_, i) => `w${i} `), chunkDelayMs: 50 }));
  const s = await r.client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: hello, stream: true });
  let text = '';
  let stopping: Promise<void> | null = null;
  let error: unknown = null;
  try {
    for await (const c of s) {
      text += c.choices[0]?.delta?.content ?? '';
      stopping ??= r.server.stop();
    }
  } catch (e) {
    error = e;
  }
  await stopping;
  assert.instance(error, OpenAI.APIError);
  assert.match((error as Error).message, 'shutting down');
  assert.ok(text.length > 0 && !text.includes('w199'), 'cut short');
  await waitUntil(() => r.mock.abortedStreams === 1, 1000);
  await r.close();
});

t('keep-alive comments alone do not hold a stream open past REQUEST_TIMEOUT_SECONDS: no data in time is a timeout', async () => {
  let closed = false;
  const timers = new Set<NodeJS.Timeout>();
  const up = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const tick = setInterval(() => res.write(': OPENROUTER PROCESSING\n\n'), 200); // the provider never starts
    timers.add(tick);
    res.on('close', () => { closed = true; clearInterval(tick); });
  });
  await new Promise<void>((ok) => up.listen(0, '127.0.0.1', ok));
  const server = await startServer({ env: {
    OPENROUTER_BASE_URL: `http://127.0.0.1:${(up.address() as AddressInfo).port}/api/v1`, OPENROUTER_API_KEYS: A,
    REQUEST_TIMEOUT_SECONDS: '1', STREAM_IDLE_TIMEOUT_SECONDS: '1',
  } });
  try {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const guard = new AbortController(); // only so that a regression fails instead of hanging the run
    const stop = setTimeout(() => guard.abort(), 5000);
    let error: unknown = null;
    try {
      for await (const _ of await client.chat.completions.create({ model: 'm', messages: hello, stream: true }, { signal: guard.signal })) { /* none */ }
    } catch (e) { error = e; }
    clearTimeout(stop);
    assert.instance(error, OpenAI.APIError, 'the SDK raises a proxy error, not its own timeout');
    assert.match((error as Error).message, 'within 1 s');
    await waitUntil(() => closed, 1000);
  } finally {
    for (const tick of timers) clearInterval(tick);
    server.app.server.closeAllConnections();
    up.closeAllConnections();
    await server.close();
    await new Promise((ok) => up.close(ok));
  }
});

t.run();
