// The request log (issue 10): after traffic with failures through the mock OpenRouter, every client
// request is a row with the keys it tried, tokens and cost add up to what the upstream reported, the
// CSV holds the same rows, the filters select what they say, the charts count the same traffic, and
// rows past retention are pruned.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { keyId } from '../../src/domain/key-lines';
import { AdminClient } from '../helpers/admin-client';
import { scenarios } from '../helpers/mock-upstream';
import { hello, orKey, raw, reactivateAll, rig, type Rig } from './proxy-harness';

const A = orKey('log-a');
const B = orKey('log-b');
const C = orKey('log-c');

interface Ctx { r: Rig; admin: AdminClient; sent: { status: number; prompt: number; completion: number; cost: number }[] }
const t = suite<Ctx>('request log', {} as Ctx);

t.before(async (ctx) => {
  ctx.r = await rig([[A, 1], [B, 1], [C, 1]], { KEY_MAX_CONSECUTIVE_FAILURES: '1000' });
  ctx.admin = new AdminClient(ctx.r.server.url);
  assert.is((await ctx.admin.login()).status, 200);
  ctx.sent = [];
});
t.after(async ({ r }) => { await r.close(); });

function usageOf(text: string): { prompt: number; completion: number; cost: number } {
  const m = [...text.matchAll(/"usage":(\{[^}]*\})/g)].at(-1);
  if (!m) return { prompt: 0, completion: 0, cost: 0 };
  const u = JSON.parse(m[1].replace(/,"(prompt|completion)_tokens_details.*$/, '}')) as Record<string, number>;
  return { prompt: u.prompt_tokens ?? 0, completion: u.completion_tokens ?? 0, cost: u.cost ?? 0 };
}

async function chat(ctx: Ctx, body: Record<string, unknown>): Promise<number> {
  const a = await raw(ctx.r.server.url, 'POST', '/v1/chat/completions', JSON.stringify(body));
  ctx.sent.push({ status: a.status, ...(a.status === 200 ? usageOf(a.text) : { prompt: 0, completion: 0, cost: 0 }) });
  return a.status;
}

async function logged(ctx: Ctx, query = ''): Promise<{ requests: any[]; total: number }> {
  await ctx.r.server.rt.requestLog.writer.flush();
  const a = await ctx.admin.get(`/admin/requests?limit=100${query}`);
  assert.is(a.status, 200, a.text);
  return a.json;
}

t('traffic with failures: every request is logged with its keys tried, tokens and cost', async (ctx) => {
  const { r } = ctx;
  r.mock.behave(A, scenarios.serverError()).behave(B, scenarios.ok()).behave(C, scenarios.ok());
  for (let i = 0; i < 12; i++) assert.is(await chat(ctx, { model: 'openai/gpt-4o-mini', messages: hello }), 200);
  for (let i = 0; i < 6; i++) assert.is(await chat(ctx, { model: 'openai/gpt-4o-mini', messages: hello, stream: true, stream_options: { include_usage: true } }), 200);
  r.mock.behave(A, scenarios.badModel()).behave(B, scenarios.badModel()).behave(C, scenarios.badModel());
  assert.is(await chat(ctx, { model: 'nope/not-a-model', messages: hello }), 400);

  const page = await logged(ctx);
  assert.is(page.total, ctx.sent.length);
  assert.is(page.requests.length, ctx.sent.length);
  const rows = [...page.requests].reverse(); // oldest first, like ctx.sent
  rows.forEach((row, i) => assert.is(row.status, ctx.sent[i].status, `row ${i}`));
  const oks = rows.filter((x) => x.outcome === 'ok');
  assert.is(oks.length, 18);
  for (const row of oks) {
    assert.is(row.keys_tried.at(-1).outcome, 'ok');
    assert.is(row.key_id, row.keys_tried.at(-1).id);
    assert.ok(row.keys_tried.at(-1).id !== keyId(A), 'the failing key never answered');
    assert.is(row.attempts, row.keys_tried.length);
    for (const k of row.keys_tried.slice(0, -1)) assert.equal(k, { id: keyId(A), masked: row.keys_tried[0].masked, outcome: 'transient' });
    assert.match(row.masked, /^sk-or-v1-/);
    assert.not.match(JSON.stringify(row), /sk-or-v1-[0-9a-f]{20}/);
    assert.ok(row.latency_ms >= 0 && row.ttfb_ms !== null && row.ttfb_ms <= row.latency_ms);
    assert.is(row.client, '127.0.0.1');
    assert.is(row.route, '/v1/chat/completions');
  }
  assert.is(rows.filter((x) => x.stream).length, 6);
  const caller = rows.at(-1);
  assert.is(caller.outcome, 'caller');
  assert.is(caller.model, 'nope/not-a-model');
  assert.is(caller.attempts, 1);

  const sum = (f: (x: any) => number, list: any[]) => list.reduce((a, x) => a + f(x), 0);
  assert.is(sum((x) => x.input_tokens, rows), sum((x) => x.prompt, ctx.sent));
  assert.is(sum((x) => x.output_tokens, rows), sum((x) => x.completion, ctx.sent));
  assert.ok(Math.abs(sum((x) => x.cost ?? 0, rows) - sum((x) => x.cost, ctx.sent)) < 1e-9);
  assert.ok(sum((x) => x.cost, ctx.sent) > 0, 'the mock reports a cost');

  // The attempts with key A are exactly the upstream calls A received.
  const viaA = await logged(ctx, `&key_id=${keyId(A)}`);
  assert.ok(viaA.total > 0, "the failing key was tried");
  assert.is(viaA.total, r.mock.inferenceCallsFor(A).length);
  for (const row of viaA.requests) assert.ok(row.keys_tried.some((k: any) => k.id === keyId(A)));
});

t('no key, and the filters by status, outcome, model and time', async (ctx) => {
  const { r } = ctx;
  const { admin } = ctx;
  const off = await admin.post('/admin/keys/bulk', { action: 'deactivate', ids: (await admin.keys()).map((k) => k.id) });
  assert.is(off.status, 200, off.text);
  assert.is(await chat(ctx, { model: 'x/y', messages: hello }), 503);
  await reactivateAll(r.server);

  const noKey = await logged(ctx, '&outcome=no_key');
  assert.is(noKey.total, 1);
  assert.equal(noKey.requests[0].keys_tried, []);
  assert.is(noKey.requests[0].status, 503);
  assert.is((await logged(ctx, '&status=error')).total, 2);
  assert.is((await logged(ctx, '&status=ok')).total, 18);
  assert.is((await logged(ctx, '&status=400')).total, 1);
  assert.is((await logged(ctx, '&model=x%2Fy')).total, 1);
  const all = await logged(ctx);
  const newest = all.requests[0].at;
  assert.is((await logged(ctx, `&since=${encodeURIComponent(newest)}`)).total, all.requests.filter((x) => x.at >= newest).length);
  assert.is((await logged(ctx, `&until=${encodeURIComponent('2000-01-01T00:00:00Z')}`)).total, 0);
  const paged = await ctx.admin.get('/admin/requests?limit=5&page=2');
  assert.equal(paged.json.requests.map((x: any) => x.id), all.requests.slice(5, 10).map((x) => x.id));
  assert.is(paged.json.total_pages, Math.ceil(all.total / 5));

  for (const [q, param] of [['status=abc', 'status'], ['since=yesterday', 'since'], ['outcome=weird', 'outcome'], ['limit=1000', 'limit']]) {
    const bad = await ctx.admin.get(`/admin/requests?${q}`);
    assert.is(bad.status, 400, q);
    assert.is(bad.json.error.param, param);
  }
});

t('the CSV holds the same rows as the pages, streamed with the same filters', async (ctx) => {
  const all = await logged(ctx);
  const csv = await ctx.admin.get('/admin/requests.csv');
  assert.is(csv.status, 200);
  assert.match(String(csv.headers['content-type']), 'text/csv');
  const lines = csv.text.trim().split('\n');
  assert.is(lines[0].split(',')[0], 'id');
  assert.is(lines.length, all.total + 1);
  assert.equal(lines.slice(1).map((l) => Number(l.split(',')[0])), all.requests.map((x) => x.id));
  const errors = await ctx.admin.get('/admin/requests.csv?status=error');
  assert.is(errors.text.trim().split('\n').length, 3);
  assert.is((await ctx.admin.get('/admin/requests.csv?status=nope')).status, 400);
});

t('stats count the same traffic, tokens and cost per minute', async (ctx) => {
  const all = await logged(ctx);
  const s = await ctx.admin.get('/admin/stats?window=1h');
  assert.is(s.status, 200);
  assert.is(s.json.bucket_seconds, 60);
  assert.ok(s.json.series.length >= 60 && s.json.series.length <= 61);
  assert.is(s.json.totals.requests, all.total);
  assert.is(s.json.totals.ok, 18);
  assert.is(s.json.totals.errors, 2);
  assert.is(s.json.totals.input_tokens, all.requests.reduce((a, x) => a + x.input_tokens, 0));
  assert.ok(Math.abs(s.json.totals.cost - all.requests.reduce((a, x) => a + (x.cost ?? 0), 0)) < 1e-9);
  const busy = s.json.series.filter((p: any) => p.requests > 0);
  assert.ok(busy.length >= 1);
  assert.ok(busy.every((p: any) => p.p50_ms !== null && p.p95_ms >= p.p50_ms));
  assert.is(busy.reduce((a: number, p: any) => a + p.by_outcome.caller, 0), 1);
  assert.is((await ctx.admin.get('/admin/stats?window=24h')).json.bucket_seconds, 600);
  assert.is((await ctx.admin.get('/admin/stats?window=7d')).json.totals.requests, all.total);
  assert.is((await ctx.admin.get('/admin/stats?window=2h')).status, 400);
});

t('rows past REQUEST_LOG_RETENTION_DAYS are pruned; newer ones stay', async (ctx) => {
  const rl = ctx.r.server.rt.requestLog;
  const before = (await logged(ctx)).total;
  rl.writer.push({
    at: Date.now() - 8 * 86_400_000, route: '/v1/chat/completions', model: 'old/model', stream: false, status: 200, outcome: 'ok',
    attempts: 1, key_id: keyId(B), keys_tried: [{ id: keyId(B), outcome: 'ok' }], latency_ms: 5, ttfb_ms: 5,
    input_tokens: 1, output_tokens: 1, cost: 0, client: '127.0.0.1',
  });
  assert.is((await logged(ctx)).total, before + 1);
  assert.is(await rl.pruneNow(), 1);
  assert.is((await logged(ctx)).total, before);
  assert.is((await logged(ctx, `&key_id=${keyId(B)}&model=old%2Fmodel`)).total, 0);
});

t.run();
