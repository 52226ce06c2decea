// GET /metrics: the series an operator graphs, fed by real traffic through the proxy, and the optional
// bearer token.

import { request } from 'undici';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { AdminClient, fakeKey } from '../helpers/admin-client';
import { eventually } from '../helpers/eventually';
import { scenarios, startMockUpstream, type MockUpstream } from '../helpers/mock-upstream';
import { startServer, type TestServer } from '../helpers/server';

const GOOD = fakeKey(0x600d);
const BAD = fakeKey(0xbad);

/** The value of one sample, e.g. value(text, 'orp_keys', { status: 'active' }); null when absent. */
function value(text: string, name: string, labels: Record<string, string> = {}): number | null {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^[^{ ]+(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const have = Object.fromEntries([...(m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v) && Object.keys(have).length === Object.keys(labels).length) return Number(m[2]);
  }
  return null;
}

const scrape = async (url: string, headers: Record<string, string> = {}) => {
  const r = await request(`${url}/metrics`, { headers });
  return { status: r.statusCode, type: String(r.headers['content-type']), text: await r.body.text() };
};

const chat = (url: string, stream = false) => request(`${url}/v1/chat/completions`, {
  method: 'POST', headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ model: 'openai/gpt-4o-mini', stream, messages: [{ role: 'user', content: 'hi' }] }),
});

const t = suite<{ mock: MockUpstream; s: TestServer; admin: AdminClient }>('metrics');
t.before(async (ctx) => {
  ctx.mock = await startMockUpstream();
  ctx.s = await startServer({ env: { OPENROUTER_BASE_URL: ctx.mock.url, OPENROUTER_API_KEYS: `${BAD}:1000,${GOOD}:1` } });
  ctx.admin = new AdminClient(ctx.s.url);
  assert.is((await ctx.admin.login()).status, 200);
});
t.after(async (ctx) => { await ctx.s.close(); await ctx.mock.close(); });

t('before any traffic: keys by status, no snapshot yet (-1), Prometheus text', async ({ s }) => {
  const m = await scrape(s.url);
  assert.is(m.status, 200);
  assert.match(m.type, 'text/plain');
  assert.is(value(m.text, 'orp_keys', { status: 'active' }), 2);
  assert.is(value(m.text, 'orp_keys', { status: 'inactive' }), 0);
  assert.is(value(m.text, 'orp_snapshot_age_seconds'), -1);
  assert.ok(m.text.includes('process_resident_memory_bytes'), 'the default process series are there');
});

t('proxy traffic shows in requests, attempts by class, failovers, pick and upstream latency, keys, events and flushes', async ({ s, mock, admin }) => {
  mock.behave(BAD, scenarios.userNotFound());
  mock.behave(GOOD, scenarios.ok({ chunks: ['a', 'b', 'c', 'd', 'e', 'f'], chunkDelayMs: 80 }));
  const first = await chat(s.url);
  await first.body.text();
  assert.is(first.statusCode, 200, 'the 401 key failed over to the good one');

  const streaming = await chat(s.url, true);
  const during = await scrape(s.url);
  assert.is(value(during.text, 'orp_streams_in_flight'), 1, 'one stream is being relayed');
  await streaming.body.text();
  await (await request(`${s.url}/healthz`)).body.text();
  await (await request(`${s.url}/no/such/route`)).body.text();
  // The outcomes go to the log in the next batch: wait until the status page shows none pending.
  await eventually(async () => (await admin.get('/admin/app-status')).json.events.pending === 0, 'no event pending');

  const m = (await scrape(s.url)).text;
  assert.is(value(m, 'orp_http_requests_total', { route: '/v1/chat/completions', status: '200' }), 2);
  assert.is(value(m, 'orp_http_requests_total', { route: '/healthz', status: '200' }), 1);
  assert.is(value(m, 'orp_http_requests_total', { route: 'unmatched', status: '404' }), 1);
  assert.ok(m.includes('orp_http_requests_total{route="/metrics",status="200"}'), 'scrapes are counted too');
  assert.is(value(m, 'orp_upstream_attempts_total', { class: 'credential' }), 1);
  assert.is(value(m, 'orp_upstream_attempts_total', { class: 'success' }), 2);
  assert.is(value(m, 'orp_failovers_total'), 1);
  assert.is(value(m, 'orp_streams_in_flight'), 0);
  assert.is(value(m, 'orp_keys', { status: 'active' }), 1);
  assert.is(value(m, 'orp_keys', { status: 'inactive' }), 1, 'the 401 key was deactivated');
  assert.is(value(m, 'orp_keys', { status: 'cooling' }), 0);
  assert.ok(value(m, 'orp_key_pick_seconds_count')! >= 3, 'every pick is timed');
  assert.ok(value(m, 'orp_upstream_first_byte_seconds_count')! >= 3);
  assert.is(value(m, 'orp_upstream_total_seconds_count'), 2);
  const events = (await admin.get('/admin/app-status')).json.events;
  assert.ok(events.appended > 2);
  assert.is(value(m, 'orp_events_appended_total'), events.appended, 'every appended event is counted');
  // The number of batch transactions is shown nowhere else: read in the runtime.
  assert.is(value(m, 'orp_event_flush_seconds_count'), s.rt.projection.stats.flushes, 'every batch transaction is timed');
  assert.is(value(m, 'orp_events_since_snapshot'), events.since_snapshot);
});

t('after a snapshot its age is known and no event is pending', async (ctx) => {
  // A graceful stop writes the snapshot the restarted server starts from.
  ctx.s = await ctx.s.restart();
  const m = (await scrape(ctx.s.url)).text;
  const age = value(m, 'orp_snapshot_age_seconds')!;
  assert.ok(age >= 0 && age < 60, `snapshot age ${age}`);
  assert.is(value(m, 'orp_events_since_snapshot'), 0);
});

t('with METRICS_TOKEN, /metrics needs the bearer token; the error has the usual shape', async () => {
  const s = await startServer({ env: { METRICS_TOKEN: 'scrape-token-0123456789' } });
  try {
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong-token' }, { authorization: 'scrape-token-0123456789' }, { authorization: 'Bearer ' }]) {
      const r = await scrape(s.url, headers);
      assert.is(r.status, 401, JSON.stringify(headers));
      const body = JSON.parse(r.text);
      assert.is(body.error.code, 'unauthorized');
      assert.match(body.error.message, 'METRICS_TOKEN');
    }
    const ok = await scrape(s.url, { authorization: 'Bearer scrape-token-0123456789' });
    assert.is(ok.status, 200);
    assert.ok(ok.text.includes('orp_keys'));
    assert.not.ok(s.logs.join('').includes('scrape-token-0123456789'), 'the token is not logged');
  } finally { await s.close(); }
});

t.run();
