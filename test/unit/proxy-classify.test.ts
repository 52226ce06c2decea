// From what OpenRouter sends (the mock's wire-accurate bodies and headers) to the failure class and
// the cooldown floors, plus the small parsers the proxy relies on.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { classify } from '../../src/domain/failure-policy';
import { judge } from '../../src/health/probe-key';
import { failureFromResponse, inBandError, parseReset, parseRetryAfter } from '../../src/proxy/classify-response';
import { upstreamBytes, ProxyBody } from '../../src/proxy/body';
import { toOpenAi } from '../../src/proxy/models-cache';
import { scrub, shortReason } from '../../src/upstream/scrub';
import { readUsage } from '../../src/proxy/usage';
import { scenarios, type StatusScenario } from '../helpers/mock-upstream';

const NOW = 1_780_000_000_000;
const KEY = `sk-or-v1-${'c'.repeat(64)}`;

function fromScenario(sc: StatusScenario) {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(sc.headers ?? {})) headers[k.toLowerCase()] = v;
  const body = sc.body === undefined ? '' : typeof sc.body === 'string' ? sc.body : JSON.stringify(sc.body);
  return failureFromResponse(sc.status, headers, Buffer.from(body), KEY, NOW);
}

test('every wire-doc error body lands in the class DESIGN.md gives it', () => {
  const table: [StatusScenario, string][] = [
    [scenarios.userNotFound(), 'credential'],
    [scenarios.noAuth(), 'credential'],
    [scenarios.keyLimitExceeded(), 'credential'],
    [scenarios.noCredits(), 'quota'],
    [scenarios.freeModelsPerDay(), 'quota'],
    [scenarios.rateLimited(), 'rate_limit'],
    [scenarios.freeModelsPerMin(), 'rate_limit'],
    [scenarios.upstreamRateLimited(), 'transient'],
    [scenarios.overloaded(), 'transient'],
    [scenarios.serverError(), 'transient'],
    [scenarios.status(524, '<html>edge timeout</html>'), 'transient'],
    [scenarios.badModel(), 'caller'],
    [scenarios.moderation(), 'caller'],
    [scenarios.noEndpoints(), 'caller'],
    [scenarios.status(413), 'caller'],
    [scenarios.status(422), 'caller'],
  ];
  for (const [sc, cls] of table) assert.is(classify(fromScenario(sc)), cls, `${sc.status} ${String(JSON.stringify(sc.body)).slice(0, 60)}`);
});

test('Retry-After and X-RateLimit-Reset are read from headers, or from error.metadata.headers', () => {
  const f = fromScenario(scenarios.rateLimited({ retryAfterSec: 42, resetMs: NOW + 60_000 }));
  assert.is(f.retryAfterSeconds, 42);
  assert.is(f.rateLimitResetMs, NOW + 60_000);
  const onlyMeta = scenarios.freeModelsPerDay({ resetMs: NOW + 3_600_000 });
  const g = failureFromResponse(429, {}, Buffer.from(JSON.stringify(onlyMeta.body)), KEY, NOW);
  assert.is(g.rateLimitResetMs, NOW + 3_600_000);
  assert.is(fromScenario(scenarios.upstreamRateLimited()).providerName, 'MockProvider');
});

test('availability.retryable and retry_after are honoured', () => {
  const body = { error: { message: 'No endpoints', error_type: 'no_endpoints', availability: { code: 'no_endpoints', retryable: true, retry_after: 30 } } };
  const f = failureFromResponse(404, {}, Buffer.from(JSON.stringify(body)), KEY, NOW);
  assert.is(f.retryable, true);
  assert.is(f.retryAfterSeconds, 30);
  assert.is(classify(f), 'transient');
});

test('a 401 that names the provider (a BYOK provider key was refused) is not the OpenRouter key\'s fault', () => {
  const body = { error: { code: 401, message: 'Provider returned error', metadata: { raw: 'invalid x-api-key', provider_name: 'Anthropic', is_byok: true } } };
  const f = failureFromResponse(401, {}, Buffer.from(JSON.stringify(body)), KEY, NOW);
  assert.is(classify(f), 'transient');
  assert.is(classify(fromScenario(scenarios.userNotFound())), 'credential');
});

test('messages are scrubbed of the key and of anything shaped like one', () => {
  const body = { error: { code: 401, message: `bad key ${KEY} and sk-or-v1-${'d'.repeat(64)}, Authorization: Bearer abc.def` } };
  const f = failureFromResponse(401, {}, Buffer.from(JSON.stringify(body)), KEY, NOW);
  assert.not.match(f.message, 'ccccc');
  assert.not.match(f.message, 'ddddd');
  assert.not.match(f.message, 'abc.def');
  assert.match(f.message, '[redacted]');
  assert.is(scrub('key12345 inside', ['key12345']), '[redacted] inside');
  assert.is(scrub('short k1 stays', ['k1']), 'short k1 stays');
  assert.is(shortReason('x'.repeat(500)).length, 240);
});

test('a non-JSON error body still gives a short message', () => {
  const f = failureFromResponse(502, {}, Buffer.from('<html>Bad gateway</html>'), KEY, NOW);
  assert.is(f.message, '<html>Bad gateway</html>');
  assert.is(failureFromResponse(503, {}, Buffer.alloc(0), KEY, NOW).message, 'Service Unavailable');
});

test('Retry-After takes seconds or an HTTP date; X-RateLimit-Reset takes ms, seconds, or a delta', () => {
  assert.is(parseRetryAfter('7', NOW), 7);
  assert.is(parseRetryAfter(new Date(NOW + 9000).toUTCString(), NOW), 9);
  assert.is(parseRetryAfter('soon', NOW), null);
  assert.is(parseReset('1788220800000', NOW), 1788220800000);
  assert.is(parseReset('1788220800', NOW), 1788220800000);
  assert.is(parseReset('60', NOW), NOW + 60_000);
  assert.is(parseReset('nope', NOW), null);
});

test('in-band errors: top-level error, choices[0].error, finish_reason "error"; none otherwise', () => {
  assert.is(inBandError({ error: { code: 429, message: 'Rate limit exceeded' } }), 'Rate limit exceeded (code 429)');
  assert.is(inBandError({ choices: [{ finish_reason: 'error', error: { code: 502, message: 'Provider returned error' } }] }), 'Provider returned error (code 502)');
  assert.match(inBandError({ choices: [{ finish_reason: 'error' }] }) ?? '', 'finish_reason');
  assert.is(inBandError({ choices: [{ finish_reason: 'stop' }], error: null }), null);
});

test('usage numbers are read without parsing the body; a null usage is not a usage', () => {
  const body = Buffer.from(JSON.stringify({ id: 'x', choices: [{ message: { content: 'the word "usage" in text' } }], usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15, prompt_tokens_details: { cached_tokens: 1 } } }));
  assert.equal(readUsage(body), { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 });
  assert.is(readUsage(Buffer.from('{"usage":null}')), null);
  assert.equal(readUsage(Buffer.from('{"usage":{"prompt_tokens":4,"total_tokens":4}}')), { prompt_tokens: 4, completion_tokens: 0, total_tokens: 4 });
});

test('usage.cost is read as JSON reads it, in every number form OpenRouter sends; a cost that is not a number is left out', () => {
  for (const cost of [0, 1, 0.00042, 4.2e-5, 1.5e-7, 12.5, 3e7, 0.1234567890123, 1500]) {
    for (const text of [JSON.stringify(cost), cost.toExponential(), cost.toExponential().toUpperCase(), cost.toExponential().replace('e+', 'e')]) {
      for (const gap of ['', ' ', ' \n\t ']) {
        const body = Buffer.from(`{"usage":{"prompt_tokens":1,"completion_tokens":2,"cost"${gap}:${gap}${text},"is_byok":false}}`);
        assert.is(readUsage(body)?.cost, JSON.parse(text), `${gap === '' ? '' : 'spaced '}${text}`);
      }
    }
  }
  for (const bad of ['null', '"0.1"', '.5', '-', 'x', '']) {
    const u = readUsage(Buffer.from(`{"usage":{"prompt_tokens":1,"cost":${bad}}}`));
    assert.is(u?.prompt_tokens, 1);
    assert.is(u?.cost, undefined, bad);
  }
});

test('the body bytes go upstream unchanged unless the model is missing or empty', () => {
  const raw = Buffer.from('{ "model" : "a/b",  "x": [1, 2.50] }');
  assert.is(upstreamBytes(new ProxyBody(raw, JSON.parse(raw.toString())), 'd/m'), raw);
  for (const json of [{ x: 1 }, { model: '', x: 1 }, { model: '  ', x: 1 }, { model: null, x: 1 }]) {
    const out = upstreamBytes(new ProxyBody(Buffer.from(JSON.stringify(json)), json), 'd/m');
    assert.equal(JSON.parse(out.toString()), { ...json, model: 'd/m' });
  }
});

test('models get OpenAI fields and keep OpenRouter ones', () => {
  assert.equal(toOpenAi({ id: 'openai/gpt-4o', created: 5, name: 'GPT-4o', pricing: { prompt: '0.1' } }),
    { object: 'model', created: 5, owned_by: 'openai', id: 'openai/gpt-4o', name: 'GPT-4o', pricing: { prompt: '0.1' } });
  assert.is(toOpenAi({ id: 'solo' }).owned_by, 'openrouter');
});

test('a /key answer judges the key: limit_remaining null or > 0 works; 0, 401 and junk do not', () => {
  assert.is(judge(200, { data: { limit_remaining: null } }).ok, true);
  assert.is(judge(200, { data: { limit_remaining: 0.01 } }).ok, true);
  assert.is(judge(200, { data: { limit_remaining: 0 } }).ok, false);
  assert.is(judge(200, { data: { limit_remaining: -3 } }).ok, false);
  assert.equal(judge(401, { error: { code: 401, message: 'User not found.' } }), { ok: false, status: 401, detail: '401 User not found.' });
  assert.is(judge(200, 'oops').ok, false);
});

test.run();
