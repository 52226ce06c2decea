// The SSE relay against a fake response: whole lines relayed raw, first data gating, in-band errors,
// usage, [DONE], and an error chunk that never looks like a clean end.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ServerResponse } from 'node:http';
import { SseRelay, Verdict } from '../../src/proxy/sse-relay';

class FakeRes {
  status = 0;
  out = '';
  ended = false;
  writeHead(status: number): this { this.status = status; return this; }
  write(b: Buffer): boolean { this.out += b.toString(); return true; }
  end(): void { this.ended = true; }
}

function relay() {
  const res = new FakeRes();
  const gauge = { n: 0, inc() { this.n++; }, dec() { this.n--; } };
  const r = new SseRelay(res as unknown as ServerResponse, gauge);
  r.beginAttempt();
  return { r, res, gauge };
}

const data = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;
const delta = (content: string) => data({ id: 'g', choices: [{ index: 0, delta: { content } }] });

test('comments go out at once (with the headers); data is relayed byte for byte; [DONE] completes', () => {
  const { r, res, gauge } = relay();
  assert.is(r.push(Buffer.from(': OPENROUTER PROCESSING\n\n')), Verdict.Go);
  assert.is(res.status, 200);
  assert.is(r.dataRelayed, false);
  const rest = delta('Hel') + delta('lo') + data({ id: 'g', choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } }) + 'data: [DONE]\n\n';
  assert.is(r.push(Buffer.from(rest)), Verdict.Go);
  assert.is(r.dataRelayed, true);
  assert.is(r.finish(), true);
  assert.is(res.out, `: OPENROUTER PROCESSING\n\n${rest}`);
  assert.equal(r.usage, { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
  assert.ok(res.ended);
  assert.is(gauge.n, 0);
});

test('an upstream that closes right after `data: [DONE]` without its newline still completes the stream', () => {
  const { r, res } = relay();
  assert.is(r.push(Buffer.from(delta('Hi') + 'data: [DONE]')), Verdict.Go);
  assert.is(r.finish(), true);
  assert.ok(res.out.endsWith('data: [DONE]\n\n'));
  assert.ok(res.ended);
});

test('a half line that is not [DONE] at the end is not a clean end', () => {
  const { r } = relay();
  r.push(Buffer.from(delta('Hi') + 'data: {"id":'));
  assert.is(r.finish(), false);
});

test('a line split across chunks is held until it is whole, then relayed unchanged', () => {
  const { r, res } = relay();
  const line = delta('split me');
  for (const part of [line.slice(0, 7), line.slice(7, 20), line.slice(20)]) assert.is(r.push(Buffer.from(part)), Verdict.Go);
  assert.is(res.out, line);
  r.push(Buffer.from('data: [DO'));
  assert.is(r.finish(), false, 'a [DONE] cut in half is not an end');
});

test('an error chunk as the first data is not relayed: the exchange may still fail over', () => {
  const { r, res } = relay();
  r.push(Buffer.from(': OPENROUTER PROCESSING\n\n'));
  assert.is(r.push(Buffer.from(data({ error: { code: 502, message: 'Provider returned error' } }))), Verdict.FirstDataIsError);
  assert.is(r.errorMessage, 'Provider returned error (code 502)');
  assert.is(res.out, ': OPENROUTER PROCESSING\n\n');
  assert.is(r.dataRelayed, false);
});

test('a mid-stream error chunk is relayed and ends the stream; a choices-only error gets an error the SDK raises', () => {
  const a = relay();
  a.r.push(Buffer.from(delta('Hi')));
  const err = data({ id: 'g', error: { code: 429, message: 'Rate limit exceeded' }, choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }] });
  assert.is(a.r.push(Buffer.from(err + 'data: [DONE]\n\n')), Verdict.ErrorRelayed);
  assert.is(a.res.out, delta('Hi') + err, 'relayed as sent, nothing after it');
  assert.ok(a.res.ended);

  const b = relay();
  b.r.push(Buffer.from(delta('Hi')));
  const choiceErr = `data: ${JSON.stringify({ id: 'g', choices: [{ index: 0, finish_reason: 'error', error: { message: 'died' } }] })}\n`;
  assert.is(b.r.push(Buffer.from(choiceErr)), Verdict.ErrorRelayed);
  assert.ok(b.res.out.endsWith(`${choiceErr}\ndata: {"error":{"message":"died","type":"upstream_error","code":"upstream_error"}}\n\n`));
});

test('fail() closes an open event first so the error chunk parses on its own', () => {
  const { r, res } = relay();
  r.push(Buffer.from('data: {"id":"g","choices":[]}\n'));
  r.fail('cut', 'upstream_error', 'upstream_error');
  assert.is(res.out, 'data: {"id":"g","choices":[]}\n\ndata: {"error":{"message":"cut","type":"upstream_error","code":"upstream_error"}}\n\n');
  assert.ok(res.ended);
});

test('the word "error" inside content is not an error', () => {
  const { r } = relay();
  assert.is(r.push(Buffer.from(delta('the "error" was mine') + delta('error'))), Verdict.Go);
});

test('"[DONE]" inside content is not the end: the answer keeps flowing', () => {
  const { r, res } = relay();
  const mid = delta('an SSE stream ends with data: [DONE]') + delta('[DONE]');
  assert.is(r.push(Buffer.from(mid)), Verdict.Go);
  assert.is(r.doneSeen, false);
  assert.is(r.push(Buffer.from(delta(' and more') + 'data: [DONE]\r\n\r\n')), Verdict.Go);
  assert.is(r.doneSeen, true);
  assert.is(r.finish(), true);
  assert.ok(res.out.includes(' and more'));
});

test.run();
