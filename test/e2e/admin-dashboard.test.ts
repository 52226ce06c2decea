// The dashboard in a real browser (Debian chromium via playwright-core), as a new operator uses it:
// log in, add keys, page through them, change a weight in place, batch delete with a confirmation,
// change a setting and see it applied, read the history, log out. Screenshots go to test-artifacts/.
// What the page saved is checked as another admin would see it (GET /admin/key-status); what happens
// to a key elsewhere comes from another admin's session or from the proxy and the mock OpenRouter.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { keyId as idOf } from '../../src/domain/key-lines';
import { AdminClient, ADMIN_PASSWORD, fakeKey } from '../helpers/admin-client';
import { artifact, launchBrowser } from '../helpers/browser';
import { eventually } from '../helpers/eventually';
import { scenarios, startMockUpstream, type MockUpstream } from '../helpers/mock-upstream';
import { chatUntilTried } from '../helpers/proxy-client';
import { startServer, type TestServer } from '../helpers/server';

interface Ctx { s: TestServer; up: MockUpstream; admin: AdminClient; browser: Browser | null; context: BrowserContext; page: Page; problems: string[] }

/** The keys the operator pastes: 30 lines, one with a weight, one that does not look like OpenRouter's. */
const LINES = Array.from({ length: 30 }, (_, i) => fakeKey(1000 + i, i === 0 ? 'ab12' : '') + (i === 1 ? ':5' : ''));
LINES[29] = 'sk-elsewhere-not-an-openrouter-key-0029'; // added, with a warning
const secretOf = (id: string) => LINES.map((l) => l.replace(/:\d+$/, '')).find((k) => idOf(k) === id) as string;

const t = suite<Ctx>('admin dashboard in a browser');
const skip = (ctx: Ctx) => !ctx.browser;

t.before(async (ctx) => {
  ctx.browser = await launchBrowser();
  if (!ctx.browser) return;
  ctx.up = await startMockUpstream();
  ctx.s = await startServer({ env: { OPENROUTER_BASE_URL: ctx.up.url } });
  ctx.admin = new AdminClient(ctx.s.url); // another admin's session, next to the browser's
  assert.is((await ctx.admin.login()).status, 200);
  ctx.context = await ctx.browser.newContext({ viewport: { width: 1280, height: 900 } });
  ctx.context.setDefaultTimeout(10_000);
  ctx.page = await ctx.context.newPage();
  ctx.problems = [];
  ctx.page.on('console', (m) => { if (m.type() === 'error') ctx.problems.push(`console: ${m.text()}`); });
  ctx.page.on('pageerror', (e) => ctx.problems.push(`page error: ${e.message}`));
});
t.after(async (ctx) => {
  await ctx.context?.close().catch(() => undefined);
  await ctx.browser?.close();
  await ctx.s?.close();
  await ctx.up?.close();
});

const id = (testid: string) => `[data-testid="${testid}"]`;

t('without a session the dashboard sends the browser to the login page; a wrong password is shown', async (ctx) => {
  if (skip(ctx)) return;
  const { page, s } = ctx;
  await page.goto(`${s.url}/admin/dashboard`);
  assert.is(new URL(page.url()).pathname, '/admin/login');
  await page.fill(id('login-password'), 'definitely-wrong');
  await page.click(id('login-submit'));
  await page.waitForSelector(id('login-error'));
  assert.match(await page.textContent(id('login-error')) ?? '', /wrong password/i);
  await page.screenshot({ path: artifact('login.png'), fullPage: true });
});

t('log in and add keys; the report names each bad line', async (ctx) => {
  if (skip(ctx)) return;
  const { page } = ctx;
  await page.fill(id('login-password'), ADMIN_PASSWORD);
  await page.click(id('login-submit'));
  await page.waitForURL('**/admin/dashboard**');
  await page.waitForSelector(id('key-empty'));
  const lines = LINES;
  await page.fill(id('add-keys-input'), `${lines.join('\n')}\nnot a key\n${lines[2]}`);
  await page.click(id('add-keys-submit'));
  await page.waitForSelector(id('add-report'));
  assert.match(await page.textContent(id('add-report-added')) ?? '', '30');
  assert.match(await page.textContent(id('add-report-duplicates')) ?? '', '1');
  assert.match(await page.textContent(id('add-report-invalid')) ?? '', '1');
  assert.match(await page.textContent(id('add-report-warning')) ?? '', 'line 30: sk-elsewher…0029');
  assert.match(await page.textContent(id('add-report-warning')) ?? '', 'does not look like an OpenRouter key');
  const messages = await page.locator(id('add-report-message')).allTextContents();
  assert.ok(messages.some((m) => m.includes('line 31')), `line 31 named in ${JSON.stringify(messages)}`);
  assert.is(await page.inputValue(id('add-keys-input')), 'not a key', 'only the line to fix stays in the box, not the keys just added');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="key-row"]').length > 0);
  const html = await page.content();
  assert.not.ok(html.includes(lines[3]), 'the page never shows a full key');
  await page.screenshot({ path: artifact('dashboard.png'), fullPage: true });
});

t('page through the keys, search and filter', async (ctx) => {
  if (skip(ctx)) return;
  const { page } = ctx;
  await page.selectOption(id('page-size'), '10');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="key-row"]').length === 10);
  const first = await page.locator(id('key-row')).first().getAttribute('data-key-id');
  await page.click(id('page-next'));
  await page.waitForFunction((f) => document.querySelector('[data-testid="key-row"]')?.getAttribute('data-key-id') !== f, first);
  assert.match(page.url(), /page=2/);
  await page.locator(`${id('page-number')}:has-text("3")`).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="key-row"]').length === 10 && /page=3/.test(location.search));
  await page.fill(id('key-search'), 'ab12');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="key-row"]').length === 1);
  await page.fill(id('key-search'), '');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="key-row"]').length === 10);
  await page.click(id('filter-inactive'));
  await page.waitForSelector(id('key-empty'));
  await page.click(id('filter-all'));
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="key-row"]').length === 10);
  assert.match(await page.textContent(id('filter-all-count')) ?? '', '30');
});

t('change a weight in place', async (ctx) => {
  if (skip(ctx)) return;
  const { page, admin } = ctx;
  const row = page.locator(id('key-row')).first();
  const keyId = (await row.getAttribute('data-key-id'))!;
  const input = row.locator(id('weight-input'));
  await input.fill('42');
  await input.press('Enter');
  await eventually(async () => (await admin.key(keyId))?.weight === 42, 'the weight is saved');
  await input.fill('5000');
  await input.press('Enter');
  await row.locator(id('weight-error')).waitFor();
  assert.match(await row.locator(id('weight-error')).textContent() ?? '', 'weight');
  assert.is((await admin.key(keyId))?.weight, 42, 'a refused weight changes nothing');
  await input.press('Escape');
});

t('batch delete asks for confirmation; cancel keeps the keys, confirm deletes them', async (ctx) => {
  if (skip(ctx)) return;
  const { page, admin } = ctx;
  const rows = page.locator(id('key-row'));
  const ids = await Promise.all([0, 1, 2].map((i) => rows.nth(i).getAttribute('data-key-id')));
  for (let i = 0; i < 3; i++) await rows.nth(i).locator(id('key-select')).check();
  assert.match(await page.textContent(id('selected-count')) ?? '', '3');
  await page.click(id('batch-delete'));
  await page.waitForSelector(id('confirm-dialog'));
  await page.screenshot({ path: artifact('dashboard-confirm.png') });
  await page.click(id('confirm-cancel'));
  await page.waitForSelector(id('confirm-dialog'), { state: 'detached' });
  assert.is((await admin.keys()).length, 30, 'cancel deletes nothing');
  await page.click(id('batch-delete'));
  await page.click(id('confirm-ok'));
  await page.waitForSelector(id('dashboard-notice'));
  await eventually(async () => (await admin.keys()).length === 27, '3 keys deleted');
  for (const k of ids) assert.is(await admin.key(k!), undefined, `${k} deleted`);
  await page.waitForFunction(() => /27/.test(document.querySelector('[data-testid="filter-all-count"]')?.textContent ?? ''));
});

t('the matrix refreshes by itself and keeps the selection', async (ctx) => {
  if (skip(ctx)) return;
  const { page, admin } = ctx;
  const row = page.locator(id('key-row')).nth(1);
  const keyId = (await row.getAttribute('data-key-id'))!;
  await row.locator(id('key-select')).check();
  assert.is((await admin.patch(`/admin/keys/${keyId}`, { active: false })).status, 200); // another admin turns it off
  await page.waitForSelector(`[data-testid="key-row"][data-key-id="${keyId}"][data-status="disabled"]`, { timeout: 8000 });
  assert.ok(await page.locator(`[data-key-id="${keyId}"] ${id('key-select')}`).isChecked(), 'still selected after the refresh');
  await page.locator(`[data-key-id="${keyId}"] ${id('key-select')}`).uncheck();
});

t('a cooling row offers Activate, which ends the cooldown; a disabled one is in its own filter', async (ctx) => {
  if (skip(ctx)) return;
  const { page, s, up, admin } = ctx;
  const keyId = (await page.locator(id('key-row')).nth(2).getAttribute('data-key-id'))!;
  // OpenRouter rate-limits this key (a 429 naming no reset) while clients use the pool: it cools.
  up.behave(secretOf(keyId), scenarios.rateLimitedNoReset());
  await chatUntilTried(s.url, up, [secretOf(keyId)]);
  up.behave(secretOf(keyId), []);
  const row = `[data-testid="key-row"][data-key-id="${keyId}"]`;
  await page.waitForSelector(`${row}[data-status="cooling"]`, { timeout: 8000 });
  assert.is((await page.textContent(`${row} ${id('key-toggle')}`))?.trim(), 'Activate');
  await page.click(`${row} ${id('key-toggle')}`);
  await page.waitForSelector(`${row}[data-status="active"]`, { timeout: 8000 });
  const back = await admin.key(keyId);
  assert.equal([back?.status, back?.cool_down_until], ['active', null]);
  await page.click(id('filter-disabled'));
  // The filter re-renders the list after the click: wait for that, not for a disabled row that was already shown.
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="key-row"]:not([data-status="disabled"])').length === 0, null, { timeout: 8000 });
  assert.ok(await page.locator(`[data-testid="key-row"][data-status="disabled"]`).count() > 0, 'the disabled key is listed');
  await page.click(id('filter-all'));
});

t('change a setting and see it applied', async (ctx) => {
  if (skip(ctx)) return;
  const { page, s } = ctx;
  await page.click(id('nav-settings'));
  await page.waitForSelector(id('settings-form'));
  await page.waitForFunction(() => (document.querySelector('[data-testid="settings-request_timeout_seconds"]') as HTMLInputElement)?.value === '180');
  await page.fill(id('settings-request_timeout_seconds'), '0');
  await page.click(id('settings-save'));
  await page.waitForSelector(id('settings-error'));
  assert.match(await page.textContent(id('settings-error')) ?? '', 'request_timeout_seconds');
  await page.fill(id('settings-request_timeout_seconds'), '75');
  await page.fill(id('settings-default_model'), 'openai/gpt-4o-mini');
  await page.click(id('settings-save'));
  await page.waitForSelector(id('settings-success'));
  assert.is(s.rt.settings.requestTimeoutSeconds, 75);
  const api = await page.evaluate(async () => (await fetch('/admin/settings')).json());
  assert.is(api.request_timeout_seconds, 75);
  assert.is(api.default_model, 'openai/gpt-4o-mini');
  await page.reload();
  await page.waitForFunction(() => (document.querySelector('[data-testid="settings-request_timeout_seconds"]') as HTMLInputElement)?.value === '75');
  await page.screenshot({ path: artifact('settings.png'), fullPage: true });
});

t('every live setting has a field, and each field allows exactly what the server accepts', async (ctx) => {
  if (skip(ctx)) return;
  const { page } = ctx;
  await page.waitForSelector(id('settings-form'));
  const fields = await page.evaluate(() => Array.from(document.querySelectorAll<HTMLInputElement | HTMLSelectElement>('[data-testid^="settings-"]'))
    .filter((el) => el instanceof HTMLSelectElement || el.type === 'number' || el.type === 'text')
    .map((el) => ({
      name: el.getAttribute('data-testid')!.slice('settings-'.length),
      min: el instanceof HTMLInputElement ? el.min : '', max: el instanceof HTMLInputElement ? el.max : '',
      maxLength: el instanceof HTMLInputElement ? el.maxLength : -1,
      options: el instanceof HTMLSelectElement ? Array.from(el.options).map((o) => o.value) : [],
    })));
  const post = (body: Record<string, unknown>) => page.evaluate(async (b) => {
    const r = await fetch('/admin/settings', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(b) });
    return { status: r.status, json: await r.json() };
  }, body);
  const before = await page.evaluate(async () => (await fetch('/admin/settings')).json());
  const live = Object.keys(before).filter((k) => k !== 'app_api_key_set').sort();
  assert.equal(fields.map((f) => f.name).sort(), live, 'one field per live setting');
  const refused = async (name: string, value: unknown) => {
    const r = await post({ [name]: value });
    assert.is(r.status, 400, `${name}=${JSON.stringify(value)} is refused by the server`);
    assert.ok(name in r.json.error.fields, `${name} is named`);
  };
  const accepted = async (name: string, value: unknown) => assert.is((await post({ [name]: value })).status, 200, `${name}=${JSON.stringify(value)} is accepted`);
  for (const f of fields) {
    if (f.min !== '') {
      assert.ok(f.max !== '', `${f.name} has a maximum`);
      await refused(f.name, Number(f.min) - 1);
      await refused(f.name, Number(f.max) + 1);
      await accepted(f.name, Number(f.min));
      await accepted(f.name, Number(f.max));
    } else if (f.options.length) {
      await refused(f.name, 'not-a-choice');
      for (const o of f.options) await accepted(f.name, o);
    } else {
      assert.ok(f.maxLength > 0, `${f.name} has a maximum length`);
      await refused(f.name, 'x'.repeat(f.maxLength + 1));
      await accepted(f.name, 'x'.repeat(f.maxLength));
    }
  }
  const { app_api_key_set: _, ...restore } = before;
  assert.is((await post(restore)).status, 200);
});

t('the status page shows the service figures', async (ctx) => {
  if (skip(ctx)) return;
  const { page } = ctx;
  await page.click(id('nav-status'));
  await page.waitForSelector(id('status-card'));
  const text = await page.textContent('main') ?? '';
  assert.match(text, process.version);
  assert.match(text, /sqlite/i);
  await page.screenshot({ path: artifact('status.png'), fullPage: true });
});

t('the history reads as sentences and filters by type and key', async (ctx) => {
  if (skip(ctx)) return;
  const { page } = ctx;
  await page.click(id('nav-history'));
  await page.waitForSelector(id('history-entry'));
  const sentences = await page.locator(id('history-sentence')).allTextContents();
  assert.ok(sentences.length > 0);
  assert.ok(sentences.every((x) => x.trim().length > 0 && !x.includes('[object')), JSON.stringify(sentences.slice(0, 5)));
  await page.selectOption(id('history-type-filter'), 'KeyDeleted');
  await page.waitForFunction(() => Array.from(document.querySelectorAll('[data-testid="history-entry"]')).every((e) => e.getAttribute('data-type') === 'KeyDeleted'));
  assert.is(await page.locator(id('history-entry')).count(), 3);
  await page.screenshot({ path: artifact('history.png'), fullPage: true });
  await page.selectOption(id('history-type-filter'), '');
  await page.locator(id('history-key')).first().click();
  await page.waitForFunction(() => /key_id=/.test(location.search));
});

t('at phone width the dashboard fits without horizontal scrolling', async (ctx) => {
  if (skip(ctx)) return;
  const phone = await ctx.browser!.newContext({ viewport: { width: 375, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  try {
    await phone.addCookies((await ctx.context.cookies()).map((c) => ({ ...c })));
    const p = await phone.newPage();
    for (const [path, ready, shot] of [['/admin/dashboard', 'key-row', 'dashboard-375.png'], ['/admin/history-page', 'history-entry', 'history-375.png'], ['/admin/settings-page', 'settings-form', 'settings-375.png']]) {
      await p.goto(`${ctx.s.url}${path}`);
      await p.waitForSelector(id(ready));
      const { scroll, client } = await p.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
      assert.ok(scroll <= client, `${path}: page is ${scroll}px wide in a ${client}px viewport`);
      await p.screenshot({ path: artifact(shot) }); // the first screen: a full page of cards is too tall to read
    }
  } finally { await phone.close(); }
});

t('pasting 10,000 keys (and 300 bad lines) gives a report of bounded height, not 200,000 pixels', async (ctx) => {
  if (skip(ctx)) return;
  const { page, s } = ctx;
  await page.goto(`${s.url}/admin/dashboard`);
  await page.waitForSelector(id('add-keys-input'));
  const keys = Array.from({ length: 10_000 }, (_, i) => fakeKey(50_000 + i));
  const bad = Array.from({ length: 300 }, (_, i) => `not a key ${i}`);
  // As a paste does: one input event with the whole text (page.fill types it far too slowly).
  await page.locator(id('add-keys-input')).evaluate((el, text) => {
    (el as HTMLTextAreaElement).value = text;
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, [...keys, ...bad].join('\n'));
  await page.click(id('add-keys-submit'), { timeout: 60_000 }); // a big textarea keeps a busy machine's page slow
  await page.waitForSelector(id('add-report'), { timeout: 60_000 });
  assert.match(await page.textContent(id('add-report-added')) ?? '', /10\D?000/);
  const height = await page.locator(id('add-report')).evaluate((e) => e.getBoundingClientRect().height);
  assert.ok(height < 900, `the report is ${height}px tall`);
  assert.ok((await page.locator(id('add-report-message')).count()) <= 100, 'at most 100 problems rendered');
  assert.match(await page.textContent(id('add-report-more')) ?? '', '200 more');
  await page.screenshot({ path: artifact('add-keys-10000.png') });
});

t('log out: the dashboard then sends the browser to the login page', async (ctx) => {
  if (skip(ctx)) return;
  const { page, s } = ctx;
  await page.click(id('logout'));
  await page.waitForURL('**/admin/login');
  await page.goto(`${s.url}/admin/dashboard`);
  assert.is(new URL(page.url()).pathname, '/admin/login');
  const status = await page.evaluate(async () => (await fetch('/admin/key-status')).status);
  assert.is(status, 401);
  assert.equal(ctx.problems.filter((p) => !/401|Failed to load resource/.test(p)), [], 'no script errors or CSP violations');
});

t.run();
