// What a web page or an echoing provider could do to the pool, replayed: a browser's no-cors or
// cross-site request is refused without APP_API_KEY; a pool key echoed by the upstream (whole, bare
// or in part, in content or in an error chunk) never reaches the client; an error inside a 200 answer
// is classified like its status on chat too.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { scenarios } from '../helpers/mock-upstream';
import { hello, orKey, raw, reactivateAll, rig, type Rig } from './proxy-harness';

const A = orKey('hardening-a');
const B = orKey('hardening-b');
const HEX = A.slice('sk-or-v1-'.length);

const t = suite<{ r: Rig }>('proxy hardening', {} as { r: Rig });
t.before(async (ctx) => { ctx.r = await rig([[A, 1000], [B, 1]]); });
t.after(async ({ r }) => { await r.close(); });
t.before.each(async ({ r }) => { r.mock.reset(); await reactivateAll(r.server); });

const chat = JSON.stringify({ model: 'openai/gpt-4o-mini', messages: hello });
const stream = JSON.stringify({ model: 'openai/gpt-4o-mini', messages: hello, stream: true });

t('a cross-site browser request is 403 without APP_API_KEY, on /v1 and /api/v1; same-origin and SDK requests pass', async ({ r }) => {
  for (const path of ['/v1/chat/completions', '/api/v1/messages', '/v1/responses']) {
    const bySite = await raw(r.server.url, 'POST', path, chat, { 'sec-fetch-site': 'cross-site' });
    assert.is(bySite.status, 403, path);
    const byOrigin = await raw(r.server.url, 'POST', path, chat, { origin: 'https://evil.example' });
    assert.is(byOrigin.status, 403, path);
  }
  assert.is(JSON.parse((await raw(r.server.url, 'POST', '/v1/messages', chat, { origin: 'null' })).text).error.type, 'permission_error');
  assert.is(r.mock.received.length, 0);
  const host = new URL(r.server.url).host;
  assert.is((await raw(r.server.url, 'POST', '/v1/chat/completions', chat, { origin: `http://${host}`, 'sec-fetch-site': 'same-origin' })).status, 200);

  await r.server.rt.secretSettings.setAppApiKey('app-key-hardening');
  try {
    const withKey = await raw(r.server.url, 'POST', '/v1/chat/completions', chat, { origin: 'https://app.example', authorization: 'Bearer app-key-hardening' });
    assert.is(withKey.status, 200, 'with an APP_API_KEY, a page cannot send the key without the user giving it');
  } finally {
    await r.server.rt.secretSettings.setAppApiKey('');
  }
});

t('a text/plain POST (a no-cors fetch) is 415 in each protocol\'s error shape', async ({ r }) => {
  const a = await raw(r.server.url, 'POST', '/v1/chat/completions', chat, { 'content-type': 'text/plain;charset=UTF-8' });
  assert.is(a.status, 415);
  assert.is(JSON.parse(a.text).error.code, 'unsupported_media_type');
  const m = await raw(r.server.url, 'POST', '/v1/messages', chat, { 'content-type': 'text/plain' });
  assert.is(m.status, 415);
  assert.is(JSON.parse(m.text).type, 'error');
  assert.is(r.mock.received.length, 0);
});

t('a key echoed in a chat stream (content and error chunk) and in a JSON answer is redacted', async ({ r }) => {
  r.mock.behave(A, scenarios.ok({ chunks: [`a ${A} `, `b ${HEX} `, `c ${HEX.slice(0, 24)} `, `d ${HEX.slice(20, 60)}`] }));
  const s = await raw(r.server.url, 'POST', '/v1/chat/completions', stream);
  assert.is(s.status, 200);
  for (const part of [HEX.slice(0, 16), HEX.slice(20, 52)]) assert.not.ok(s.text.includes(part));
  assert.is(s.text.split('[redacted]').length, 5);

  r.mock.behave(A, scenarios.midStreamError({ code: 502, message: `provider echoed ${HEX}` }));
  const e = await raw(r.server.url, 'POST', '/v1/chat/completions', stream);
  assert.not.ok(e.text.includes(HEX.slice(0, 16)));
  assert.match(e.text, 'provider echoed [redacted]');

  r.mock.behave(A, scenarios.ok({ chunks: [`json ${HEX}`] }));
  const j = await raw(r.server.url, 'POST', '/v1/chat/completions', chat);
  assert.not.ok(j.text.includes(HEX.slice(0, 16)));
  assert.ok(r.mock.received.every((x) => x.key === A));
});

t('an error inside a 200 chat answer acts like its status: an in-band 402 cools the key, a 429 rate-limits it, then failover', async ({ r }) => {
  r.mock.behave(A, scenarios.status(200, { error: { code: 402, message: 'Insufficient credits' } }));
  const a = await raw(r.server.url, 'POST', '/v1/chat/completions', chat);
  assert.is(a.status, 200);
  assert.match(a.text, 'Hello from mock');
  assert.is(r.key(A).lastFailureClass, 'quota');
  assert.ok((r.key(A).coolUntil ?? 0) > Date.now());

  await reactivateAll(r.server);
  // OpenRouter's own limit (no provider_name: a provider's 429 would be transient, as a status is)
  r.mock.behave(A, scenarios.midStreamError({ code: 429, message: 'Rate limit exceeded', metadata: { error_type: 'rate_limit_exceeded' } }));
  await raw(r.server.url, 'POST', '/v1/chat/completions', stream);
  assert.is(r.key(A).lastFailureClass, 'rate_limit');
  assert.ok((r.key(A).coolUntil ?? 0) > Date.now());
});

t.run();
