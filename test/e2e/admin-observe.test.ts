// Seeing the pool in a real browser (issue 10): after traffic with failures through the mock
// OpenRouter, the Requests page charts the traffic and lists every request with the keys it tried;
// the key table sorts the worst key first and colours it; a bulk action over "all N matching" shows
// what it will change before it does; the history hides usage by default; and every page reads in
// Chinese, chosen from the browser's language and switchable. Screenshots at desktop and phone width
// go to test-artifacts/.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { keyId } from '../../src/domain/key-lines';
import { ADMIN_PASSWORD } from '../helpers/admin-client';
import { artifact, launchBrowser } from '../helpers/browser';
import { scenarios } from '../helpers/mock-upstream';
import { hello, orKey, raw, rig, type Rig } from '../integration/proxy-harness';

const KEYS = Array.from({ length: 14 }, (_, i) => orKey(`observe-e2e-${i}`));
const BAD = KEYS[0];

interface Ctx { r: Rig; browser: Browser | null; context: BrowserContext; page: Page; problems: string[] }
const t = suite<Ctx>('seeing the pool in a browser');
const skip = (ctx: Ctx) => !ctx.browser;
const id = (testid: string) => `[data-testid="${testid}"]`;

async function newPage(ctx: Ctx, opts: { width: number; height: number; locale?: string }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await ctx.browser!.newContext({ viewport: { width: opts.width, height: opts.height }, locale: opts.locale ?? 'en-US' });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') ctx.problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => ctx.problems.push(`page error: ${e.message}`));
  await page.goto(`${ctx.r.server.url}/admin/login`);
  await page.fill(id('login-password'), ADMIN_PASSWORD);
  await page.click(id('login-submit'));
  await page.waitForURL('**/admin/dashboard**');
  return { context, page };
}

t.before(async (ctx) => {
  ctx.browser = await launchBrowser();
  if (!ctx.browser) return;
  ctx.r = await rig(KEYS.map((k) => [k, 1]), { KEY_MAX_CONSECUTIVE_FAILURES: '1000' });
  ctx.r.mock.behave(BAD, scenarios.serverError());
  ctx.r.mock.behave(KEYS[1], scenarios.rateLimited({ retryAfterSec: 1 }));
  ctx.r.mock.keyInfo(KEYS[2], { limit: 20, limit_remaining: 12.5, usage: 7.5 });
  for (let i = 0; i < 40; i++) {
    const stream = i % 3 === 0;
    await raw(ctx.r.server.url, 'POST', '/v1/chat/completions', JSON.stringify({ model: i % 4 ? 'openai/gpt-4o-mini' : 'anthropic/claude-sonnet-4', messages: hello, stream }));
  }
  for (const k of KEYS) ctx.r.mock.behave(k, scenarios.badModel());
  await raw(ctx.r.server.url, 'POST', '/v1/chat/completions', JSON.stringify({ model: 'nope/not-a-model', messages: hello }));
  for (const k of KEYS) ctx.r.mock.behave(k, []);
  ctx.r.mock.behave(BAD, scenarios.serverError());
  await ctx.r.server.rt.requestLog.writer.flush();
  ctx.problems = [];
  ({ context: ctx.context, page: ctx.page } = await newPage(ctx, { width: 1400, height: 950 }));
});
t.after(async (ctx) => {
  await ctx.context?.close().catch(() => undefined);
  await ctx.browser?.close();
  await ctx.r?.close();
});

t('the Requests page charts the traffic and lists every request; a row opens to the keys it tried', async (ctx) => {
  if (skip(ctx)) return;
  const { page } = ctx;
  await page.click(id('nav-requests'));
  await page.waitForSelector(id('requests-table'));
  await page.waitForSelector(`${id('chart-requests')} canvas`);
  assert.match(await page.textContent(id('requests-total')) ?? '', '41');
  assert.match(await page.textContent(id('stats-totals')) ?? '', /41 requests/);
  // A request that failed over: its keys tried, in order, the failing key first.
  const failedOver = page.locator(`${id('request-row')}:has-text("2 ·")`).first();
  await failedOver.click();
  await page.waitForSelector(id('request-detail'));
  const tried = await page.locator(`${id('request-detail')} ${id('tried-key')}`).allTextContents();
  assert.ok(tried.length >= 2, JSON.stringify(tried));
  await page.screenshot({ path: artifact('requests.png'), fullPage: true });
  // Filters: the caller's mistake alone.
  await page.selectOption(id('filter-outcome'), 'caller');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="request-row"]').length === 1);
  assert.match(page.url(), /outcome=caller/);
  assert.match(await page.getAttribute(id('requests-csv'), 'href') ?? '', /requests\.csv\?outcome=caller/);
  await page.selectOption(id('filter-outcome'), '');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="request-row"]').length === 41);
});

t('the key table sorts the worst key first, colours it, and shows credit and trends', async (ctx) => {
  if (skip(ctx)) return;
  const { page, r } = ctx;
  await r.server.rt.requestLog.health.refresh(true);
  await page.request.post(`${r.server.url}/admin/keys/${keyId(KEYS[2])}/check`, { headers: { 'content-type': 'application/json' }, data: {} });
  await page.click(id('nav-dashboard'));
  await page.waitForSelector(id('key-row'));
  await page.click(id('worst-first'));
  await page.waitForFunction((bad) => document.querySelector('[data-testid="key-row"]')?.getAttribute('data-key-id') === bad, keyId(BAD));
  await page.waitForURL(/sort=success_rate&order=asc/); // the address follows the render
  const first = page.locator(id('key-row')).first();
  assert.is(await first.getAttribute('data-health'), 'bad');
  assert.match(await first.locator(id('key-success')).textContent() ?? '', /^0%/);
  const credit = await page.locator(`[data-key-id="${keyId(KEYS[2])}"] ${id('key-credit')}`).textContent();
  assert.match(credit ?? '', /\$12\.5/);
  await page.waitForSelector(`${id('key-row')} .sparkline canvas`);
  await page.screenshot({ path: artifact('keys-health.png'), fullPage: true });
});

t('a bulk action over all matching keys lists its changes, then makes them', async (ctx) => {
  if (skip(ctx)) return;
  const { page, r } = ctx;
  await page.selectOption(id('page-size'), '10');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="key-row"]').length === 10);
  await page.check(id('select-all'));
  await page.click(id('select-all-matching'));
  assert.match(await page.textContent(id('selected-count')) ?? '', /All 14 matching/);
  await page.selectOption(id('bulk-action'), 'add_label');
  await page.fill(id('bulk-label'), 'team-a');
  await page.click(id('bulk-apply'));
  await page.waitForSelector(id('bulk-changes'));
  assert.match(await page.textContent(id('bulk-summary')) ?? '', /14 keys chosen; 14 of them will change/);
  await page.screenshot({ path: artifact('bulk-confirm.png'), fullPage: false });
  const admin = await r.admin(); // another admin's session: what the server holds, not what the page shows
  assert.ok((await admin.keys()).every((k) => k.labels.length === 0), 'nothing changes before the confirmation');
  await page.click(id('confirm-ok'));
  await page.waitForSelector(`${id('dashboard-notice')}:has-text("14 of 14")`);
  const labelled = await admin.keys();
  assert.is(labelled.length, 14);
  assert.ok(labelled.every((k) => k.labels.includes('team-a')));
  await page.waitForSelector(id('key-labels'));
});

t('the history shows changes by default and usage behind a filter; settings show old → new', async (ctx) => {
  if (skip(ctx)) return;
  const { page, r } = ctx;
  await page.request.post(`${r.server.url}/admin/settings`, { headers: { 'content-type': 'application/json' }, data: { request_timeout_seconds: 30 } });
  await page.click(id('nav-history'));
  await page.waitForSelector(id('history-entry'));
  const types = await page.locator(id('history-entry')).evaluateAll((els) => els.map((e) => e.getAttribute('data-type')));
  assert.not.ok(types.includes('KeyUsed'), 'usage is hidden by default');
  assert.ok(types.includes('KeyLabelsChanged'));
  assert.match(await page.locator(`${id('history-entry')}[data-type="SettingsChanged"]`).first().textContent() ?? '', /request_timeout_seconds 2 → 30/);
  await page.screenshot({ path: artifact('history-changes.png'), fullPage: false });
  await page.click(id('category-usage'));
  await page.waitForFunction(() => Array.from(document.querySelectorAll('[data-testid="history-entry"]')).some((e) => e.getAttribute('data-type') === 'KeyUsed'));
});

t('the status page counts client requests and upstream attempts apart, with units and time zone', async (ctx) => {
  if (skip(ctx)) return;
  const { page } = ctx;
  await page.click(id('nav-status'));
  await page.waitForSelector('[data-name="client_requests_24h"]');
  assert.match(await page.textContent('[data-field="client_requests_24h.total"]') ?? '', '41');
  assert.match(await page.textContent('[data-field="event_loop_delay_ms.p99"]') ?? '', / ms$/);
  assert.match(await page.textContent('[data-field="credit.limit_remaining_sum"]') ?? '', /12\.5/);
  await page.screenshot({ path: artifact('status.png'), fullPage: true });
});

t('a Chinese browser gets Chinese pages; the switch changes the language and is remembered', async (ctx) => {
  if (skip(ctx)) return;
  const { context, page } = await newPage(ctx, { width: 1400, height: 950, locale: 'zh-CN' });
  try {
    await page.waitForSelector(id('key-row'));
    assert.is(await page.textContent(id('nav-dashboard')), '密钥');
    assert.is(await page.getAttribute('html', 'lang'), 'zh-CN');
    await page.screenshot({ path: artifact('keys-zh.png'), fullPage: true });
    await page.click(id('nav-requests'));
    await page.waitForSelector(`${id('chart-requests')} canvas`);
    assert.match(await page.textContent('h1') ?? '', '请求日志');
    assert.match(await page.textContent(id('chart-requests')) ?? '', '成功');
    await page.screenshot({ path: artifact('requests-zh.png'), fullPage: true });
    await page.click(id('nav-history'));
    await page.waitForSelector(id('history-entry'));
    await page.screenshot({ path: artifact('history-zh.png'), fullPage: false });
    await page.click(id('nav-status'));
    await page.waitForSelector('[data-name="client_requests_24h"]');
    await page.screenshot({ path: artifact('status-zh.png'), fullPage: true });
    await page.click(id('nav-settings'));
    await page.waitForSelector('form');
    await page.screenshot({ path: artifact('settings-zh.png'), fullPage: true });
    await page.selectOption(id('lang-switch'), 'en');
    await page.waitForFunction(() => document.querySelector('[data-testid="nav-dashboard"]')?.textContent === 'Keys');
    await page.reload();
    await page.waitForSelector(id('nav-dashboard'));
    assert.is(await page.textContent(id('nav-dashboard')), 'Keys', 'the choice survives a reload');
  } finally {
    await context.close();
  }
});

t('phone width: requests, keys and the Chinese requests page stay readable', async (ctx) => {
  if (skip(ctx)) return;
  for (const locale of ['en-US', 'zh-CN']) {
    const { context, page } = await newPage(ctx, { width: 390, height: 844, locale });
    try {
      await page.evaluate(() => localStorage.removeItem('orp.lang'));
      await page.reload();
      await page.waitForSelector(id('key-row'));
      const suffix = locale === 'zh-CN' ? '-zh' : '';
      await page.screenshot({ path: artifact(`keys-phone${suffix}.png`), fullPage: false });
      await page.click(id('nav-requests'));
      await page.waitForSelector(`${id('chart-requests')} canvas`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `no sideways scrolling (${overflow} px)`);
      await page.screenshot({ path: artifact(`requests-phone${suffix}.png`), fullPage: false });
      await page.locator(id("request-row")).first().scrollIntoViewIfNeeded();
      await page.screenshot({ path: artifact(`requests-phone-rows${suffix}.png`), fullPage: false });
    } finally {
      await context.close();
    }
  }
  assert.equal(ctx.problems, [], 'no console errors, no page errors, no CSP violations');
});

t.run();
