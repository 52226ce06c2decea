import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeBatch, encodeBatch } from '../../src/store/request-batch-codec';
import { REQUEST_OUTCOMES, type RequestSummary } from '../../src/request-log/entry';
import { seededRandom } from '../../src/domain/weighted-index';

function randomRow(rnd: () => number, i: number): RequestSummary {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const tried = Array.from({ length: Math.floor(rnd() * 4) }, () => ({ id: pick(['k1', 'k2', 'kä3', '']), outcome: pick(REQUEST_OUTCOMES) }));
  return {
    at: 1_796_000_000_000 + i * 7, route: pick(['/v1/chat/completions', '/api/v1/messages']), model: pick(['openai/gpt-4o-mini', 'meta/llama:free', '模型', '']),
    stream: rnd() < 0.5, status: pick([200, 429, 499, 502]), outcome: pick(REQUEST_OUTCOMES), attempts: tried.length,
    key_id: tried.length ? tried[tried.length - 1].id : null, keys_tried: tried, latency_ms: Math.floor(rnd() * 1e5),
    ttfb_ms: rnd() < 0.3 ? null : Math.floor(rnd() * 1e4), input_tokens: Math.floor(rnd() * 1e6), output_tokens: Math.floor(rnd() * 1e5),
    cost: rnd() < 0.4 ? null : rnd() * 1e-3, client: pick(['127.0.0.1', '::1', '', '10.0.0.9']),
  };
}

test('a batch comes back exactly as it went: nulls, empty strings, unicode, no keys tried or several', () => {
  const rnd = seededRandom(7);
  const batch = Array.from({ length: 600 }, (_, i) => randomRow(rnd, i));
  const encoded = encodeBatch(batch);
  assert.equal(decodeBatch(structuredClone(encoded)), batch);
  assert.ok(encoded.strings.length < 40, `each distinct string once (${encoded.strings.length})`);
});

test('an empty batch', () => {
  assert.equal(decodeBatch(encodeBatch([])), []);
});

test.run();
