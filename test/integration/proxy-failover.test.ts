// Failover by failure class (DESIGN.md "Key lifecycle"): what happens to the request and to the key
// for every upstream outcome, the clear errors when every try failed, restarts keeping the penalties,
// and no secret in any log line or response along the way.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import OpenAI from 'openai';
import { keyStatus } from '../../src/domain/pool-state';
import { scenarios, type Scenario } from '../helpers/mock-upstream';
import { hello, orKey, raw, reactivateAll, rig, type RawAnswer, type Rig } from './proxy-harness';

const A = orKey('failover-a');
const B = orKey('failover-b');
const C = orKey('failover-c');
const KEYS = [A, B, C];
const APP_KEY = 'app-key-failover-suite-abcdef0123456789';

interface Ctx { r: Rig; sdk: OpenAI; answers: string[] }
const t = suite<Ctx>('proxy failover', {} as Ctx);

t.before(async (ctx) => {
  ctx.r = await rig([[A, 1], [B, 1], [C, 1]], { APP_API_KEY: APP_KEY });
  ctx.sdk = new OpenAI({ baseURL: `${ctx.r.server.url}/v1`, apiKey: APP_KEY, maxRetries: 0 });
  ctx.answers = [];
});
t.after(async ({ r }) => { await r.close(); });
t.before.each(async ({ r }) => {
  r.mock.reset();
  await reactivateAll(r.server);
  await r.settings({ request_timeout_seconds: 2, retry_with_new_key_count: 4 });
});

/** A chat request through the proxy; every answer is kept for the secret search at the end. */
async function chat(ctx: Ctx, body: Record<string, unknown> = { model: 'openai/gpt-4o-mini', messages: hello }): Promise<RawAnswer> {
  const a = await raw(ctx.r.server.url, 'POST', '/v1/chat/completions', JSON.stringify(body), { authorization: `Bearer ${APP_KEY}` });
  ctx.answers.push(JSON.stringify(a.headers) + a.text);
  return a;
}

function behave(r: Rig, a: Scenario, b: Scenario, c: Scenario): void {
  r.mock.behave(A, a).behave(B, b).behave(C, c);
}

const calls = (r: Rig, k: string) => r.mock.inferenceCallsFor(k).length;

t('a 401 key is deactivated after one try and never tried again; requests still succeed', async (ctx) => {
  const { r } = ctx;
  behave(r, scenarios.userNotFound(), scenarios.ok(), scenarios.ok());
  for (let i = 0; i < 30; i++) assert.is((await chat(ctx)).status, 200);
  assert.is(calls(r, A), 1);
  const a = r.key(A);
  assert.is(keyStatus(a, Date.now()), 'inactive');
  assert.is(a.lastFailureClass, 'credential');
  assert.match(a.lastError ?? '', '401 User not found');
});

t('a 403 "Key limit exceeded" deactivates the key; a 403 moderation is the caller\'s and comes back as is', async (ctx) => {
  const { r } = ctx;
  behave(r, scenarios.keyLimitExceeded(), scenarios.ok(), scenarios.ok());
  for (let i = 0; i < 20; i++) await chat(ctx);
  assert.is(calls(r, A), 1);
  assert.is(r.key(A).active, false);

  await reactivateAll(r.server);
  r.mock.reset();
  const mod = scenarios.moderation();
  behave(r, mod, mod, mod);
  const a = await chat(ctx);
  assert.is(a.status, 403);
  assert.is(a.text, JSON.stringify(mod.body), 'the upstream body, byte for byte');
  assert.is(r.mock.received.length, 1, 'no retry');
  for (const k of KEYS) assert.is(r.key(k).active, true);
});

t('a 429 about the key rests it until the Retry-After it names (plus under a second of jitter) and skips it meanwhile', async (ctx) => {
  const { r } = ctx;
  behave(r, scenarios.keyRateLimited({ retryAfterSec: 30 }), scenarios.ok(), scenarios.ok());
  for (let i = 0; i < 30; i++) assert.is((await chat(ctx)).status, 200);
  assert.is(calls(r, A), 1);
  const a = r.key(A);
  assert.is(keyStatus(a, Date.now()), 'cooling');
  const rest = a.coolUntil! - a.lastFailureAt!;
  assert.ok(rest >= 30_000 && rest < 31_000, `rested ${rest} ms, not the 600 s dynamic cooldown`);
  assert.is(a.lastFailureClass, 'rate_limit');
});

t('a model\'s shared-capacity 429 (limit_rpm/…) and a provider\'s 429 fail over and leave the key alone', async (ctx) => {
  const { r } = ctx;
  behave(r, scenarios.rateLimited({ retryAfterSec: 30 }), scenarios.upstreamRateLimited(), scenarios.ok());
  for (let i = 0; i < 20; i++) assert.is((await chat(ctx)).status, 200);
  for (const k of [A, B]) {
    assert.ok(calls(r, k) > 1, 'still picked');
    assert.is(r.key(k).coolUntil, null);
    assert.is(r.key(k).freeCoolUntil, null);
    assert.is(r.key(k).consecutiveFailures, 0);
  }
});

t('a free-models-per-day 429 rests the key for :free models until the X-RateLimit-Reset it names; it still serves paid ones', async (ctx) => {
  const { r } = ctx;
  const reset = Date.now() + 3 * 3600_000;
  behave(r, scenarios.freeModelsPerDay({ resetMs: reset }), scenarios.ok(), scenarios.ok());
  for (let i = 0; i < 20; i++) await chat(ctx, { model: 'deepseek/deepseek-chat-v3-0324:free', messages: hello });
  assert.is(calls(r, A), 1);
  const a = r.key(A);
  assert.is(a.lastFailureClass, 'quota');
  assert.is(a.coolUntil, null, 'not cooled as a whole');
  assert.ok(a.freeCoolUntil! >= reset && a.freeCoolUntil! < reset + 1000, 'rests until the reset, plus jitter');
  assert.is(keyStatus(a, Date.now()), 'active');
  for (let i = 0; i < 20; i++) assert.is((await chat(ctx)).status, 200);
  assert.ok(calls(r, A) > 1, 'paid requests still use it');
});

t('a 402 (no credits) cools the key by the dynamic cooldown', async (ctx) => {
  const { r } = ctx;
  behave(r, scenarios.noCredits(), scenarios.ok(), scenarios.ok());
  for (let i = 0; i < 20; i++) await chat(ctx);
  assert.is(calls(r, A), 1);
  const a = r.key(A);
  assert.is(a.lastFailureClass, 'quota');
  assert.ok(a.coolUntil! - a.lastFailureAt! >= 1000);
});

t('a 503 on one key fails over without cooling it', async (ctx) => {
  const { r } = ctx;
  behave(r, scenarios.overloaded(), scenarios.ok(), scenarios.ok());
  const failoversBefore = (await r.server.rt.metrics.failovers.get()).values[0]?.value ?? 0;
  const failuresBefore = r.key(A).totalFailures;
  for (let i = 0; i < 30; i++) assert.is((await chat(ctx)).status, 200);
  const a = r.key(A);
  assert.ok(calls(r, A) > 1, 'still picked: not cooled');
  assert.is(a.coolUntil, null);
  assert.is(a.active, true);
  assert.is(a.consecutiveFailures, 0);
  assert.is(a.lastFailureClass, 'transient');
  assert.is(a.totalFailures - failuresBefore, calls(r, A), 'each try is counted');
  const failovers = (await r.server.rt.metrics.failovers.get()).values[0]?.value ?? 0;
  assert.is(failovers - failoversBefore, calls(r, A));
});

t('a caller error comes back as is after one upstream call, with no penalty', async (ctx) => {
  const { r, sdk } = ctx;
  const bad = scenarios.badModel('nope/not-a-model');
  behave(r, bad, bad, bad);
  const failuresBefore = KEYS.map((k) => r.key(k).totalFailures);
  const a = await chat(ctx, { model: 'nope/not-a-model', messages: hello });
  assert.is(a.status, 400);
  assert.is(a.text, JSON.stringify(bad.body));
  assert.is(r.mock.received.length, 1);
  const err = await sdk.chat.completions.create({ model: 'nope/not-a-model', messages: hello }).catch((e: unknown) => e);
  assert.instance(err, OpenAI.BadRequestError);
  assert.match((err as Error).message, 'nope/not-a-model is not a valid model ID');
  assert.is(r.mock.received.length, 2);
  assert.equal(KEYS.map((k) => r.key(k).totalFailures), failuresBefore, 'no failure counted');
  const nf = scenarios.noEndpoints();
  behave(r, nf, nf, nf);
  assert.is((await chat(ctx)).status, 404);
  assert.is(r.mock.received.length, 3);
});

t('every key rate-limited: 429 rate_limited with Retry-After, each key tried once', async (ctx) => {
  const { r, sdk } = ctx;
  const rl = scenarios.keyRateLimited({ retryAfterSec: 7 });
  behave(r, rl, rl, rl);
  const a = await chat(ctx);
  assert.is(a.status, 429);
  const err = JSON.parse(a.text).error;
  assert.is(err.code, 'rate_limited');
  assert.match(err.message, '3 keys tried');
  const retryAfter = Number(a.headers['retry-after']);
  assert.ok(retryAfter >= 6 && retryAfter <= 8, `Retry-After ${retryAfter}`);
  for (const k of KEYS) assert.is(calls(r, k), 1);
  const again = await sdk.chat.completions.create({ model: 'm', messages: hello }).catch((e: unknown) => e);
  assert.instance(again, OpenAI.APIError);
  assert.is((again as { status: number }).status, 503, 'every key is cooling now: no key can serve');
  assert.is((again as { code: string }).code, 'no_available_keys');
});

t('every key failing transiently: 502 upstream_error; every key rejected: 502, then 503 no_available_keys', async (ctx) => {
  const { r } = ctx;
  const down = scenarios.overloaded();
  behave(r, down, down, down);
  const a = await chat(ctx);
  assert.is(a.status, 502);
  assert.is(JSON.parse(a.text).error.code, 'upstream_error');
  for (const k of KEYS) assert.is(r.key(k).active, true);

  const bad = scenarios.userNotFound();
  behave(r, bad, bad, bad);
  const b = await chat(ctx);
  assert.is(b.status, 502);
  assert.match(JSON.parse(b.text).error.message, 'rejected the API key');
  const c = await chat(ctx);
  assert.is(c.status, 503);
  assert.is(JSON.parse(c.text).error.code, 'no_available_keys');
});

t('at most 1 + RETRY_WITH_NEW_KEY_COUNT distinct keys per request (live setting)', async (ctx) => {
  const { r } = ctx;
  await r.settings({ retry_with_new_key_count: 1 });
  const down = scenarios.serverError();
  behave(r, down, down, down);
  assert.is((await chat(ctx)).status, 502);
  const keys = r.mock.received.map((x) => x.key);
  assert.is(keys.length, 2);
  assert.is.not(keys[0], keys[1]);
});

t('a slow first byte times out (REQUEST_TIMEOUT_SECONDS, live) and fails over; all slow gives 504', async (ctx) => {
  const { r } = ctx;
  await r.settings({ request_timeout_seconds: 1, retry_with_new_key_count: 1 });
  behave(r, scenarios.slowFirstByte(5000), scenarios.ok(), scenarios.ok());
  for (let i = 0; i < 30 && calls(r, A) === 0; i++) assert.is((await chat(ctx)).status, 200);
  assert.is(calls(r, A), 1);
  assert.is(r.key(A).lastFailureClass, 'transient');
  assert.is(r.key(A).coolUntil, null);

  const slow = scenarios.slowFirstByte(5000);
  behave(r, slow, slow, slow);
  const a = await chat(ctx);
  assert.is(a.status, 504);
  assert.is(JSON.parse(a.text).error.code, 'upstream_timeout');
  assert.ok(r.mock.abortedRequests >= 2, 'timed-out upstream requests are aborted');
});

t('secrets an upstream echoes are scrubbed from responses and from the stored reason', async (ctx) => {
  const { r } = ctx;
  const echo = (k: string): Scenario => scenarios.status(400, { error: { code: 400, message: `The key ${k} cannot use this model` } });
  behave(r, echo(A), echo(B), echo(C));
  const a = await chat(ctx);
  assert.is(a.status, 400);
  for (const k of KEYS) assert.not.match(a.text, k);
  assert.match(a.text, '[redacted]');
  const who = (k: string): Scenario => scenarios.status(401, { error: { code: 401, message: `User not found for Bearer ${k}` } });
  behave(r, who(A), who(B), who(C));
  await chat(ctx);
  for (const k of KEYS) assert.not.match(r.key(k).lastError ?? '', k.slice(9));
});

t('cooldowns and deactivations survive a restart', async (ctx) => {
  const { r } = ctx;
  behave(r, scenarios.userNotFound(), scenarios.keyRateLimited({ retryAfterSec: 300 }), scenarios.ok());
  for (let i = 0; i < 20; i++) await chat(ctx);
  assert.is(calls(r, A), 1);
  assert.is(calls(r, B), 1);
  const [a, b] = [await r.row(A), await r.row(B)];
  assert.equal([a?.status, b?.status], ['inactive', 'cooling']);
  r.server = await r.server.restart();
  const [a2, b2] = [await r.row(A), await r.row(B)];
  assert.equal([a2?.status, a2?.is_active, a2?.last_error], ['inactive', false, a?.last_error]);
  assert.equal([b2?.status, b2?.cool_down_until], ['cooling', b?.cool_down_until]);
  r.mock.reset();
  for (let i = 0; i < 10; i++) assert.is((await chat(ctx)).status, 200);
  assert.is(calls(r, C), 10, 'only the healthy key is used after the restart');
});

t('no secret (upstream keys, APP_API_KEY) appears in any log line or response of this suite', async (ctx) => {
  const logs = ctx.r.server.logs.join('\n');
  assert.ok(ctx.r.server.logs.length > 20, 'the failures were logged');
  assert.match(logs, 'upstream attempt failed');
  const all = `${logs}\n${ctx.answers.join('\n')}`;
  for (const secret of [...KEYS, APP_KEY]) {
    assert.not.ok(all.includes(secret), 'a secret leaked');
    assert.not.ok(all.includes(secret.slice(9, 30)), 'part of a secret leaked');
  }
  const errors = ctx.answers.filter((x) => x.includes('"error"'));
  assert.ok(errors.length > 5);
  for (const k of KEYS) for (const e of errors) assert.not.ok(e.includes(k.slice(-8)), 'a key suffix in an error');
});

t.run();
