// The HTTP server's limits, replaying issue 13: a slowloris connection is closed, an unauthenticated
// admin body is refused before it is read, admin bodies have their own (smaller) limit, a deeply
// nested body and a malformed URL get a clear 400 in our error shape.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, type Socket } from 'node:net';
import { request } from 'undici';
import { AdminClient } from '../helpers/admin-client';
import { startServer, type TestServer } from '../helpers/server';

const t = suite<{ s: TestServer }>('http limits');
t.before(async (ctx) => {
  ctx.s = await startServer({ env: { HTTP_HEADERS_TIMEOUT_SECONDS: '1', HTTP_REQUEST_TIMEOUT_SECONDS: '2', ADMIN_BODY_LIMIT_BYTES: '65536' } });
});
t.after(async (ctx) => { await ctx.s.close(); });

/** Opens a raw connection, writes `text`, and resolves with what the server sent once it closes. */
function rawExchange(port: number, text: string, opts: { endAfterAnswer?: boolean } = {}): Promise<{ answer: string; closed: boolean; socket: Socket }> {
  return new Promise((done, fail) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (b) => {
      answer += b.toString();
      if (opts.endAfterAnswer && answer.includes('\r\n\r\n')) done({ answer, closed: false, socket });
    });
    socket.on('close', () => done({ answer, closed: true, socket }));
    socket.on('error', fail);
    socket.write(text);
  });
}

t('a connection that sends headers and one body byte is answered 408 and closed', async ({ s }) => {
  const r = await rawExchange(s.port, 'POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{');
  assert.ok(r.closed, 'the server closed the connection');
  assert.match(r.answer, /^HTTP\/1\.1 408/);
});

t('a connection that never finishes its headers is closed', async ({ s }) => {
  const r = await rawExchange(s.port, 'GET /healthz HTTP/1.1\r\nhost: x\r\n');
  assert.ok(r.closed);
});

t('an admin request without a session is refused before its body is read', async ({ s }) => {
  // Ten megabytes announced, none sent: the 401 must come without waiting for them.
  const r = await rawExchange(s.port, 'POST /admin/add-keys HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 10485760\r\n\r\n', { endAfterAnswer: true });
  r.socket.destroy();
  assert.match(r.answer, /^HTTP\/1\.1 401/);
  assert.match(r.answer, /log in first/);
});

t('an admin body above ADMIN_BODY_LIMIT_BYTES is a 413 naming that limit, well below the /v1 one', async ({ s }) => {
  const c = new AdminClient(s.url);
  await c.login();
  const r = await c.post('/admin/add-keys', { key_data: 'x'.repeat(70_000) });
  assert.is(r.status, 413);
  assert.is(r.json.error.code, 'body_too_large');
  assert.match(r.json.error.message, '65536');
});

t('a body nested 100,000 deep is a clear 400, on /v1 (without a model) and on the admin', async ({ s }) => {
  const deep = '['.repeat(100_000) + ']'.repeat(100_000);
  const v1 = await request(`${s.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"messages":${deep}}` });
  const body = await v1.body.json() as { error: { code: string; message: string } };
  assert.is(v1.statusCode, 400);
  assert.match(body.error.message, 'nested too deeply');
  const c = new AdminClient(s.url);
  await c.login();
  const nested = '['.repeat(30_000) + ']'.repeat(30_000); // as deep as fits in this server's 64 KiB admin limit
  const admin = await c.call('POST', '/admin/settings', `{"default_model":${nested}}`);
  assert.is(admin.status, 400, admin.text);
  assert.is(admin.json.error.type, 'invalid_request_error');
  assert.match(admin.json.error.message, /nested too deeply|default_model/);
});

t('a malformed URL gets our error shape', async ({ s }) => {
  for (const path of ['/v1/%zz', '/admin/keys/%zz', '/v1/models/%E0%A4%A']) {
    const r = await request(`${s.url}${path}`);
    const body = await r.body.json() as { error?: { code: string; type: string; message: string } };
    assert.is(r.statusCode < 500 && r.statusCode >= 400, true, `${path}: ${r.statusCode}`);
    assert.ok(body.error && typeof body.error.message === 'string' && body.error.type, `${path}: ${JSON.stringify(body)}`);
  }
});

t('the server keeps its keep-alive timeout and request deadline as configured', async ({ s }) => {
  assert.is(s.app.server.requestTimeout, 2000);
  assert.is(s.app.server.headersTimeout, 1000);
  assert.is(s.app.server.keepAliveTimeout, 72_000);
});
t.run();
