// OpenRouter's own SDKs with the proxy as their base URL (`http://host:8000/api/v1`, OpenRouter's URL
// form): @openrouter/sdk (chat and responses, plain and streamed) and @openrouter/ai-sdk-provider
// with the AI SDK's generateText / streamText, failover included.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { OpenRouter } from '@openrouter/sdk';
import { createOpenRouter } from '@openrouter/ai-sdk-provider';
import { generateText, streamText } from 'ai';
import { scenarios } from '../helpers/mock-upstream';
import { orKey, reactivateAll, rig, type Rig } from './proxy-harness';

const A = orKey('orsdk-a');
const B = orKey('orsdk-b');

const t = suite<{ r: Rig }>('OpenRouter SDKs through the proxy', {} as { r: Rig });
t.before(async (ctx) => { ctx.r = await rig([[A, 1000], [B, 1]]); });
t.after(async ({ r }) => { await r.close(); });
t.before.each(async ({ r }) => { r.mock.reset(); await reactivateAll(r.server); });

const MODEL = 'openai/gpt-4o-mini';
const sdk = (r: Rig) => new OpenRouter({ apiKey: 'client-token', serverURL: `${r.server.url}/api/v1` });

t('@openrouter/sdk chat.send, plain and streamed, with failover', async ({ r }) => {
  r.mock.behave(A, scenarios.serverError());
  const res = await sdk(r).chat.send({ chatRequest: { model: MODEL, messages: [{ role: 'user', content: 'Say hello' }] } });
  assert.ok(!(Symbol.asyncIterator in res));
  if (!(Symbol.asyncIterator in res)) assert.is(res.choices[0].message.content, 'Hello from mock');
  assert.equal(r.mock.received.map((x) => [x.route, x.key]), [['/chat/completions', A], ['/chat/completions', B]]);

  const stream = await sdk(r).chat.send({ chatRequest: { model: MODEL, messages: [{ role: 'user', content: 'Say hello' }], stream: true } });
  let text = '';
  assert.ok(Symbol.asyncIterator in stream);
  if (Symbol.asyncIterator in stream) for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
  assert.is(text, 'Hello from mock');
});

t('@openrouter/sdk responses.send, plain and streamed', async ({ r }) => {
  const res = await sdk(r).beta.responses.send({ responsesRequest: { model: MODEL, input: 'Say hello' } });
  assert.ok(!(Symbol.asyncIterator in res));
  if (!(Symbol.asyncIterator in res)) assert.is(res.status, 'completed');
  const stream = await sdk(r).beta.responses.send({ responsesRequest: { model: MODEL, input: 'Say hello', stream: true } });
  let text = '';
  const types: string[] = [];
  assert.ok(Symbol.asyncIterator in stream);
  if (Symbol.asyncIterator in stream) {
    for await (const e of stream) {
      types.push(e.type);
      if (e.type === 'response.output_text.delta') text += (e as { delta: string }).delta;
    }
  }
  assert.is(text, 'Hello from mock');
  assert.is(types[types.length - 1], 'response.completed');
});

t('@openrouter/ai-sdk-provider with generateText and streamText', async ({ r }) => {
  const openrouter = createOpenRouter({ apiKey: 'client-token', baseURL: `${r.server.url}/api/v1` });
  const g = await generateText({ model: openrouter(MODEL), prompt: 'Say hello' });
  assert.is(g.text, 'Hello from mock');
  assert.ok((g.usage.outputTokens ?? 0) > 0);

  r.mock.behave(A, scenarios.rateLimited({ retryAfterSec: 5 }));
  const s = streamText({ model: openrouter(MODEL), prompt: 'Say hello' });
  let text = '';
  for await (const d of s.textStream) text += d;
  assert.is(text, 'Hello from mock');
  assert.equal(r.mock.received.slice(1).map((x) => x.key), [A, B]);
});

t.run();
