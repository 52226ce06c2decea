/**
 * Throw-away builds that show how far the proxy could go by dropping whole parts of it (BENCHMARKS.md
 * §3, experiment O). Each is a copy of the compiled `dist/` with one part cut out, for relay.ts's
 * `--also`, so they run in the same rounds as the bare relay and the unchanged proxy:
 *
 *   nolog   the request log's hook does nothing: no summary turned into a row, nothing queued, nothing
 *           handed to the writer thread, nothing written
 *   bypass  POST /v1/chat/completions is taken off the server's `request` event before Fastify sees it:
 *           the body read and JSON.parse'd, the same Exchange with a stand-in reply; no guards, no
 *           metrics hook, no body limit (so it is an upper bound for serving the route outside Fastify)
 *   both    the two together
 *
 * They are not the product: they skip checks users rely on, and nothing of them goes into the service.
 * The patches find their place by exact text and stop with an error when the build has changed.
 *
 *   npm run build && npx tsx scripts/bench/upper-bound-builds.ts [--out DIR]
 *   npx tsx scripts/bench/relay.ts --dist --rounds 5 --seconds 6 --also <the line it prints>
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { argValue } from './stats';

const root = resolve(__dirname, '../..');
const dist = join(root, 'dist');

const NO_LOG = {
  file: 'src/request-log/request-log.js',
  find: 'recordProxy = (s) => this.writer.push((0, from_proxy_1.fromProxySummary)(s, this.o.defaultModel()));',
  put: 'recordProxy = (_s) => { };',
};

// Inserted just before `await app.listen(...)` in main.js, where `app` and `rt` are in scope.
const BYPASS_CODE = `
    {
        const failover_1 = require("./proxy/failover");
        const body_1 = require("./proxy/body");
        const chat_1 = require("./proxy/protocols/chat");
        const ctx = app.proxyContext;
        const fastifyHandler = app.server.listeners('request')[0];
        app.server.removeAllListeners('request');
        const path = ctx.upstream.path(chat_1.chatCompletions.upstreamPath);
        app.server.on('request', (req, res) => {
            if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return fastifyHandler(req, res);
            const parts = [];
            req.on('data', (b) => parts.push(b));
            req.on('end', () => {
                const raw = parts.length === 1 ? parts[0] : Buffer.concat(parts);
                const json = JSON.parse(raw.toString('utf8'));
                const body = new body_1.ProxyBody(raw, json);
                const reply = { raw: res, hijack() { }, header(k, v) { res.setHeader(k, v); return this; },
                    code(s) { res.statusCode = s; return this; }, type(t) { res.setHeader('content-type', t); return this; }, send(b) { res.end(b); } };
                const model = json.model;
                new failover_1.Exchange(ctx, reply, {
                    protocol: chat_1.chatCompletions, route: '/v1/chat/completions', path, extraHeaders: [],
                    body: (0, body_1.upstreamBytes)(body, rt.settings.defaultModel), stream: json.stream === true,
                    model: typeof model === 'string' && model.trim() !== '' ? model : rt.settings.defaultModel,
                    clientAddress: req.socket.remoteAddress ?? null,
                }).start();
            });
        });
    }
`;
const LISTEN = '    await app.listen({ port: config.port, host: config.host });';
const BYPASS = { file: 'src/main.js', find: LISTEN, put: BYPASS_CODE + LISTEN };

type Patch = typeof NO_LOG;

function patch(dir: string, p: Patch): void {
  const file = join(dir, 'dist', p.file);
  const text = readFileSync(file, 'utf8');
  const at = text.indexOf(p.find);
  if (at === -1 || text.indexOf(p.find, at + 1) !== -1) throw new Error(`${p.file}: the text to patch is not there exactly once; the build changed, update this script`);
  writeFileSync(file, text.slice(0, at) + p.put + text.slice(at + p.find.length)); // not replace(): `$` in `put` would be a pattern
}

function build(out: string, name: string, patches: Patch[]): string {
  const dir = join(out, name);
  rmSync(dir, { recursive: true, force: true });
  cpSync(dist, join(dir, 'dist'), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  for (const p of patches) patch(dir, p);
  return join(dir, 'dist/src/main.js');
}

if (!existsSync(join(dist, 'src/main.js'))) throw new Error('no dist/src/main.js: run `npm run build` first');
const out = resolve(argValue('out') ?? mkdtempSync(join(tmpdir(), 'orp-upper-bound-')));
const targets = { nolog: [NO_LOG], bypass: [BYPASS], both: [NO_LOG, BYPASS] };
const also = Object.entries(targets).map(([name, ps]) => `${name}=${build(out, name, ps)}`);
console.log(also.join(','));
