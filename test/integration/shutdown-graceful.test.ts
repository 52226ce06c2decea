// Graceful shutdown of the real process: SIGTERM lets a live stream finish, refuses new work, flushes
// the pending usage, writes a snapshot and exits 0; idle keep-alive sockets do not hold it open; the
// grace period bounds it; a second signal exits at once.

import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import knexFactory from 'knex';
import { keyId } from '../../src/domain/key-lines';
import { scenarios, startMockUpstream, type MockUpstream } from '../helpers/mock-upstream';
import { spawnServer, type ServerProcess } from '../helpers/spawn-server';

const KEY = `sk-or-v1-${'5'.repeat(64)}`;
const CHUNKS = Array.from({ length: 12 }, (_, i) => `part${i} `);

interface Ctx { mock: MockUpstream; dir: string; proc: ServerProcess | null }
const t = suite<Ctx>('graceful shutdown');

t.before(async (ctx) => { ctx.mock = await startMockUpstream(); });
t.before.each((ctx) => {
  ctx.dir = mkdtempSync(join(tmpdir(), 'orp-shutdown-'));
  ctx.mock.reset();
  ctx.proc = null;
});
t.after.each(async (ctx) => {
  await ctx.proc?.kill();
  rmSync(ctx.dir, { recursive: true, force: true });
});
t.after(async (ctx) => { await ctx.mock.close(); });

const start = async (ctx: Ctx, env: Record<string, string> = {}) => {
  ctx.proc = await spawnServer({
    OPENROUTER_BASE_URL: ctx.mock.url, OPENROUTER_API_KEYS: KEY,
    DB_CONNECTION_STRING_SQLITE: join(ctx.dir, 'keys.db'), ...env,
  }, ctx.dir);
  return ctx.proc;
};

interface Stream { firstData: Promise<void>; done: Promise<{ text: string; complete: boolean; error: string | null }> }

/** A streamed chat completion on its own connection; `complete` when it ended with [DONE]. */
function stream(url: string): Stream {
  let firstData!: () => void;
  const first = new Promise<void>((r) => { firstData = r; });
  const done = new Promise<{ text: string; complete: boolean; error: string | null }>((resolve) => {
    let text = '';
    const finish = (error: string | null) => resolve({ text, complete: text.includes('data: [DONE]'), error });
    const req = http.request(`${url}/v1/chat/completions`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; if (text.includes('"content":"part0')) firstData(); });
      res.on('end', () => finish(null));
      res.on('error', (e) => finish(e.message));
      res.on('aborted', () => finish('aborted'));
    });
    req.on('error', (e) => finish(e.message));
    req.end(JSON.stringify({ model: 'openai/gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] }));
  });
  return { firstData: first, done };
}

/** A request on a new connection: its status, or the connection error (refused, reset). */
function probe(url: string, path: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = http.get(`${url}${path}`, { agent: false }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode!)); });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

async function readDb(file: string) {
  const k = knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
  try {
    const events = await k('key_events').select('seq', 'type', 'key_id', 'data').orderBy('seq');
    const snapshots = await k('snapshots').select('seq');
    return { events, snapshots };
  } finally { await k.destroy(); }
}

t('SIGTERM during a live stream: the stream finishes, new requests are refused, usage is flushed, a snapshot written, exit 0', async (ctx) => {
  ctx.mock.behave(KEY, scenarios.ok({ chunks: CHUNKS, chunkDelayMs: 120 }));
  const p = await start(ctx);
  assert.is(await probe(p.url, '/readyz'), 200);
  const s = stream(p.url);
  await s.firstData;
  p.child.kill('SIGTERM');
  await p.waitForLog('shutting down');
  const during = await probe(p.url, '/readyz');
  assert.ok(during === 503 || during === 'ECONNREFUSED' || during === 'ECONNRESET', `readyz while draining: ${during}`);
  const during2 = await probe(p.url, '/healthz');
  assert.ok(during2 !== 200, `a new request while draining: ${during2}`);
  const result = await s.done;
  assert.is(result.error, null);
  assert.ok(result.complete, `the stream ended with [DONE]:\n${result.text.slice(-300)}`);
  for (const c of CHUNKS) assert.ok(result.text.includes(c.trim()), `chunk ${c} relayed`);
  const exit = await p.exited;
  assert.equal(exit, { code: 0, signal: null });
  assert.ok(p.logs().some((l) => l.msg === 'stopped cleanly'));

  const { events, snapshots } = await readDb(join(ctx.dir, 'keys.db'));
  const used = events.filter((e) => e.type === 'KeyUsed' && e.key_id === keyId(KEY));
  assert.is(used.reduce((n, e) => n + JSON.parse(e.data).count, 0), 1, 'the streamed request is in the log');
  const maxSeq = Math.max(...events.map((e) => Number(e.seq)));
  assert.ok(snapshots.some((r) => Number(r.seq) === maxSeq), 'a snapshot covers the whole log');
});

t('idle keep-alive connections do not hold the shutdown open', async (ctx) => {
  const p = await start(ctx);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const get = () => new Promise<number>((resolve, reject) => {
    http.get(`${p.url}/healthz`, { agent }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode!)); }).on('error', reject);
  });
  assert.equal(await Promise.all([get(), get(), get()]), [200, 200, 200]);
  assert.ok(Object.values(agent.freeSockets).flat().length > 0, 'sockets are idle and kept alive');
  p.child.kill('SIGTERM');
  // fastify keeps idle sockets 72 s by default: an exit well before that means they were closed.
  const exit = await Promise.race([p.exited, new Promise<string>((r) => setTimeout(() => r('still running after 20 s'), 20_000).unref())]);
  assert.equal(exit, { code: 0, signal: null });
  agent.destroy();
});

t('after the grace period open streams are closed, the process still flushes and exits 0, and the key is not blamed', async (ctx) => {
  ctx.mock.behave(KEY, scenarios.ok({ chunks: Array.from({ length: 100 }, (_, i) => `part${i} `), chunkDelayMs: 200 }));
  const p = await start(ctx, { SHUTDOWN_GRACE_SECONDS: '1' });
  const s = stream(p.url);
  await s.firstData;
  p.child.kill('SIGTERM');
  const result = await s.done;
  assert.not.ok(result.complete, 'the 20-second stream was cut by the 1-second grace period');
  const exit = await p.exited;
  assert.equal(exit, { code: 0, signal: null });
  assert.ok(result.text.includes('"error"') && result.text.includes('shutting down'), 'the client is told the stream was cut, in an error chunk');
  const { events } = await readDb(join(ctx.dir, 'keys.db'));
  const blamed = events.filter((e) => e.key_id === keyId(KEY) && ['KeyFailed', 'KeyCooled', 'KeyDeactivated'].includes(e.type));
  assert.equal(blamed, [], 'a stream the server closed is not the key\'s failure');
});

t('a second signal exits at once, without waiting for the stream', async (ctx) => {
  ctx.mock.behave(KEY, scenarios.ok({ chunks: Array.from({ length: 100 }, (_, i) => `part${i} `), chunkDelayMs: 200 }));
  const p = await start(ctx);
  const s = stream(p.url);
  await s.firstData;
  p.child.kill('SIGTERM');
  await p.waitForLog('shutting down');
  p.child.kill('SIGINT');
  const exit = await p.exited;
  assert.equal(exit, { code: 130, signal: null });
  const result = await s.done;
  assert.not.ok(result.complete, 'the stream did not get to finish');
  assert.ok(p.logs().some((l) => String(l.msg).includes('second signal')));
});

t.run();
