// The protocol seam's pure parts: typed-event relaying (preamble held until content, OpenRouter's
// [DONE] pair dropped, error events), scrubbing of whole and partial key echoes, in-band errors
// classified like their status, usage and cost in every protocol's names, the bounded generation
// memory and the open-proxy warning.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { classify } from '../../src/domain/failure-policy';
import { isLoopback, openProxyWarning } from '../../src/http/open-warning';
import { failureInBand } from '../../src/proxy/classify-response';
import { GenerationMemory } from '../../src/proxy/generation-memory';
import { chatCompletions } from '../../src/proxy/protocols/chat';
import { messages } from '../../src/proxy/protocols/messages';
import { responses } from '../../src/proxy/protocols/responses';
import { seededRandom } from '../../src/domain/weighted-index';
import { MARK_DONE, MARK_ERROR, MARK_USAGE, scanMarks } from '../../src/proxy/answer-marks';
import { RelayState, SseRelay, Verdict } from '../../src/proxy/sse-relay';
import { readUsage } from '../../src/proxy/usage';
import { hasHexRun, scrub, scrubBytes, SecretMatcher } from '../../src/upstream/scrub';

class FakeRes {
  out = '';
  ended = false;
  writeHead(): this { return this; }
  write(b: Buffer): boolean { this.out += b.toString(); return true; }
  end(): void { this.ended = true; }
}

const KEY = `sk-or-v1-${createHash('sha256').update('protocols').digest('hex')}`;
const HEX = KEY.slice(9);

function relay(rules = messages.sse) {
  const res = new FakeRes();
  const r = new SseRelay(res as unknown as ServerResponse, { inc() {}, dec() {} }, rules);
  r.beginAttempt(null, KEY);
  return { r, res };
}

const ev = (type: string, data: Record<string, unknown> = {}) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const START = ev('message_start', { message: { id: 'gen-1', usage: { input_tokens: 0, output_tokens: 0 } } });

test('Messages: comments go out at once, message_start waits for the first content, the trailing [DONE] pair is dropped', () => {
  const { r, res } = relay();
  assert.is(r.push(Buffer.from(`: OPENROUTER PROCESSING\n\n${START}`)), Verdict.Go);
  assert.is(res.out, ': OPENROUTER PROCESSING\n\n');
  assert.is(r.state, RelayState.Open);
  const content = ev('content_block_start', { index: 0 }) + ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hi' } });
  r.push(Buffer.from(content));
  assert.is(r.state, RelayState.Flowing);
  assert.is(r.generationId, 'gen-1');
  const end = ev('message_delta', { usage: { input_tokens: 5, cache_read_input_tokens: 7, output_tokens: 2, cost: 0.00012 } }) + ev('message_stop');
  r.push(Buffer.from(`${end}event: data\ndata: [DONE]\n\n`));
  assert.ok(r.doneSeen);
  assert.ok(r.finish());
  assert.is(res.out, `: OPENROUTER PROCESSING\n\n${START}${content}${end}`);
  assert.equal(r.usage, { prompt_tokens: 12, completion_tokens: 2, total_tokens: 14, cost: 0.00012 });
});

test('Messages: an upstream that closes right after message_stop without its blank line still completed', () => {
  const { r, res } = relay();
  r.push(Buffer.from(START + ev('content_block_start', { index: 0 })));
  r.push(Buffer.from('event: message_stop\ndata: {"type":"message_stop"}'));
  assert.ok(r.finish());
  assert.ok(res.out.endsWith('data: {"type":"message_stop"}\n\n'));
  assert.ok(res.ended);
});

test('Messages: an event split across chunks is held until whole; an error before content is not relayed', () => {
  const { r, res } = relay();
  const e = ev('error', { error: { type: 'overloaded_error', message: 'busy' } });
  r.push(Buffer.from(START.slice(0, 10)));
  r.push(Buffer.from(START.slice(10)));
  assert.is(r.push(Buffer.from(e)), Verdict.FirstDataIsError);
  assert.is(res.out, '');
  assert.is(r.error?.status, 529);
});

test('Messages: after content, an error event (even data-only) reaches the client as event: error and ends the stream', () => {
  const { r, res } = relay();
  r.push(Buffer.from(START + ev('content_block_start', { index: 0 })));
  const dataOnly = `data: ${JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: 'slow' } })}\n\n`;
  assert.is(r.push(Buffer.from(dataOnly)), Verdict.ErrorRelayed);
  assert.ok(res.out.endsWith(`event: error\n${dataOnly}`));
  assert.ok(res.ended);
  assert.is(r.error?.status, 429);
});

test('Responses: created/in_progress wait for content; [DONE] is written once at the end; response.failed is followed by an error event', () => {
  const { r, res } = relay(responses.sse);
  const d = (o: Record<string, unknown>) => `data: ${JSON.stringify(o)}\n\n`;
  r.push(Buffer.from(d({ type: 'response.created', response: { id: 'gen-r', usage: null } }) + d({ type: 'response.in_progress' })));
  assert.is(res.out, '');
  r.push(Buffer.from(d({ type: 'response.output_text.delta', delta: 'Hi' })));
  assert.match(res.out, 'response.created');
  r.push(Buffer.from(d({ type: 'response.completed', response: { usage: { input_tokens: 9, output_tokens: 3, total_tokens: 12, cost: 0.5 } } }) + 'data: [DONE]\n\n'));
  assert.ok(r.finish());
  assert.is(res.out.split('[DONE]').length, 2);
  assert.equal(r.usage, { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12, cost: 0.5 });

  const b = relay(responses.sse);
  b.r.push(Buffer.from(d({ type: 'response.output_text.delta', delta: 'Hi' })));
  b.r.fail('cut', 'upstream_error', 'upstream_error');
  assert.match(b.res.out, '"type":"response.failed"');
  assert.match(b.res.out, 'event: error\ndata: {"type":"error","error":{"code":"server_error","message":"cut"}}');
});

test('every byte to the client is scrubbed of the attempt\'s key: whole, bare hex, a long prefix or a long run', () => {
  for (const echo of [KEY, HEX, HEX.slice(0, 16), HEX.slice(5, 40), HEX.slice(33), HEX.slice(48)]) {
    const { r, res } = relay(chatCompletions.sse);
    r.push(Buffer.from(`data: {"choices":[{"delta":{"content":"key ${echo} end"}}]}\n\n`));
    assert.not.ok(res.out.includes(echo), echo);
    assert.match(res.out, 'key [redacted] end');
  }
  const sha = 'da39a3ee5e6b4b0d3255bfef95601890afd80709'; // a git SHA is not a key
  assert.is(scrubBytes(Buffer.from(sha), KEY).toString(), sha);
  assert.is(new SecretMatcher(KEY).foundIn(Buffer.from(HEX.slice(0, 15))), false, 'below the window nothing is searched');
  assert.is(scrub(`in ${HEX} out`, [KEY]), 'in [redacted] out');
});

test('one scan of a chunk finds usage, error and [DONE], the probe finds hex runs, also at the chunk\'s very end', () => {
  const m = (t: string) => scanMarks(Buffer.from(t));
  const hex = (t: string) => hasHexRun(Buffer.from(t));
  assert.is(m('data: {"usage":{}}'), MARK_USAGE);
  assert.is(m('{"error"'), MARK_ERROR, 'the key ends the chunk');
  assert.is(m('data: [DONE]'), MARK_DONE, '[DONE] ends the chunk');
  assert.is(m('{"usag": "errors" [DONE [DON]'), 0, 'near misses are not marks');
  assert.is(hex('x 0123456789abcdef z'), true, '16 hex characters in a row');
  assert.is(hex('x 0123456789abcde z'), false, '15 are not a run');
  assert.is(hex('0123456789ABCDEF0'), false, 'upper case is not the key\'s hex');
  assert.is(new SecretMatcher('test-token-0123456789abcdef0123456789ABCDEF').foundIn(Buffer.from('x test-token-01234 y')), true, 'hex runs only matter for a hex key');
  assert.is(m('"usage" "error" data: [DONE] ffffffffffffffff'), MARK_USAGE | MARK_ERROR | MARK_DONE);
  assert.is(hex('"usage" "error" data: [DONE] ffffffffffffffff'), true);
});

test('the skipping scan and the hex probe find exactly what a plain search finds, wherever it sits', () => {
  const rnd = seededRandom(99);
  const alphabet = '"usagerro[DONE]x :{}0123456789abcdef';
  const markers = ['"usage"', '"error"', '[DONE]', '"usag', '[DON', '""usage"', '[[DONE]'];
  const reference = (b: Buffer) => (b.includes('"usage"') ? MARK_USAGE : 0) | (b.includes('"error"') ? MARK_ERROR : 0)
    | (b.includes('[DONE]') ? MARK_DONE : 0);
  for (let t = 0; t < 20_000; t++) {
    let text = '';
    const len = Math.floor(rnd() * 40);
    for (let i = 0; i < len; i++) {
      const r = rnd();
      if (r < 0.08) text += markers[Math.floor(rnd() * markers.length)];
      else if (r < 0.12) text += Array.from({ length: 12 + Math.floor(rnd() * 9) }, () => '0123456789abcdef'[Math.floor(rnd() * 16)]).join(''); // 12-20 hex
      else text += alphabet[Math.floor(rnd() * alphabet.length)];
    }
    const b = Buffer.from(text);
    assert.is(scanMarks(b), reference(b), JSON.stringify(text));
    assert.is(hasHexRun(b), /[0-9a-f]{16}/.test(text), `${JSON.stringify(text)}: hex runs`);
  }
});

test('a key that is not hex is still scrubbed from every chunk (the hex-run shortcut is for hex keys only)', () => {
  const secret = 'test-token-zyxwvutsrqponmlkjihgzyxwvutsrqponmlkjihg';
  const res = new FakeRes();
  const r = new SseRelay(res as unknown as ServerResponse, { inc() {}, dec() {} }, chatCompletions.sse);
  r.beginAttempt(null, secret);
  r.push(Buffer.from('data: {"choices":[{"delta":{"content":"hi"}}]}\n\n'));
  r.push(Buffer.from(`data: {"choices":[{"delta":{"content":"key ${secret.slice(10, 40)} end"}}]}\n\n`));
  assert.not.ok(res.out.includes(secret.slice(10, 40)));
  assert.match(res.out, 'key [redacted] end');
});

test('in-band errors are classified like the status their code stands for', () => {
  const cls = (raw: Record<string, unknown>) => {
    const e = chatCompletions.inBand({ error: raw });
    if (e === null) throw new Error('no in-band error read');
    return classify(failureInBand(e, KEY));
  };
  assert.is(cls({ code: 402, message: 'Insufficient credits' }), 'quota');
  assert.is(cls({ code: 429, message: 'Rate limit exceeded' }), 'rate_limit');
  assert.is(cls({ code: 429, message: 'x', metadata: { provider_name: 'Decart' } }), 'transient', 'a provider\'s own limit');
  assert.is(cls({ code: 401, message: 'User not found' }), 'credential');
  assert.is(cls({ code: 502, message: 'Provider returned error' }), 'transient');
  assert.is(cls({ message: 'no code' }), 'transient');
  assert.is(messages.inBand({ type: 'error', error: { type: 'billing_error', message: 'pay' } })?.status, 402);
  assert.is(responses.inBand({ type: 'error', code: 'rate_limit_exceeded', message: 'slow' })?.status, 429);
  assert.is(responses.inBand({ type: 'response.failed', response: { error: { code: 'server_error', message: 'x' } } })?.status, 500);
  assert.is(responses.inBand({ id: 'gen-1', status: 'completed', error: null }), null);
});

test('the proxy\'s own errors on /v1/messages are in Anthropic\'s shape; an OpenRouter-shaped upstream error is re-wrapped', () => {
  assert.equal(messages.errorBody('rate_limited', 'slow'), { type: 'error', error: { type: 'rate_limit_error', message: 'slow' } });
  assert.equal(messages.errorBody('no_available_keys', 'none'), { type: 'error', error: { type: 'api_error', message: 'none' } });
  assert.equal(messages.upstreamErrorBody(401, Buffer.from('{"error":{"message":"No cookie auth credentials found","code":401}}'), 'No cookie auth credentials found'),
    { type: 'error', error: { type: 'authentication_error', message: 'No cookie auth credentials found' } });
  assert.is(messages.upstreamErrorBody(400, Buffer.from('{"type":"error","error":{"type":"invalid_request_error","message":"m"}}'), 'm'), null);
  assert.is(messages.clientKey({ 'x-api-key': 'k1', authorization: 'Bearer k2' }), 'k1');
  assert.is(messages.clientKey({ authorization: 'Bearer k2' }), 'k2');
  assert.is(chatCompletions.clientKey({ 'x-api-key': 'k1' }), undefined);
});

test('usage is read in chat, Messages and Responses names, cost included', () => {
  assert.equal(readUsage(Buffer.from('{"usage":{"prompt_tokens":4,"completion_tokens":1,"total_tokens":5,"cost":1.5e-7}}')), { prompt_tokens: 4, completion_tokens: 1, total_tokens: 5, cost: 1.5e-7 });
  assert.equal(readUsage(Buffer.from('{"usage":{"input_tokens":9,"input_tokens_details":{"cached_tokens":2},"output_tokens":3,"total_tokens":12}}')), { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 });
});

test('the generation memory is bounded and forgets after its time', () => {
  const m = new GenerationMemory(2, 1000);
  m.remember('g1', 'k1', 0);
  m.remember('g2', 'k2', 0);
  m.remember('g3', 'k3', 0);
  assert.is(m.size, 2);
  assert.is(m.keyOf('g1', 0), null, 'the oldest is forgotten first');
  assert.is(m.keyOf('g3', 500), 'k3');
  assert.is(m.keyOf('g3', 1500), null);
});

test('the generation memory finds the key of each of the newest 50,000 ids, and no key for ids it never saw', () => {
  const m = new GenerationMemory(50_000);
  const id = (i: number) => `gen-${1733000000 + i}-${createHash('md5').update(String(i)).digest('base64url').slice(0, 20)}`;
  for (let i = 0; i < 120_000; i++) m.remember(id(i), `key${i % 7}`, i);
  assert.ok(m.size >= 25_000 && m.size <= 50_000, `size ${m.size}`);
  let wrong = 0;
  for (let i = 95_000; i < 120_000; i++) if (m.keyOf(id(i), 120_000) !== `key${i % 7}`) wrong++;
  assert.is(wrong, 0, 'every one of the newest 25,000 ids is known, with its own key');
  let stale = 0;
  for (let i = 0; i < 60_000; i++) if (m.keyOf(id(i), 120_000) !== null) stale++;
  assert.is(stale, 0, 'ids older than the two generations are forgotten');
  let unknown = 0;
  for (let i = 0; i < 50_000; i++) if (m.keyOf(`gen-unseen-${i}`, 120_000) !== null) unknown++;
  assert.is(unknown, 0, 'an id never remembered has no key');
  m.remember(id(119_999), 'moved', 120_001);
  assert.is(m.keyOf(id(119_999), 120_002), 'moved', 'the latest key for a repeated id wins');
});

test('the open-proxy warning: only without APP_API_KEY on a non-loopback interface', () => {
  for (const h of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.0.0.2']) assert.ok(isLoopback(h), h);
  for (const h of ['0.0.0.0', '::', '10.0.0.5', 'example.org']) assert.not.ok(isLoopback(h), h);
  assert.match(openProxyWarning('0.0.0.0', false) ?? '', 'open to any address');
  assert.is(openProxyWarning('0.0.0.0', true), null);
  assert.is(openProxyWarning('127.0.0.1', false), null);
});

test.run();
