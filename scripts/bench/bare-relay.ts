/**
 * The baseline the proxy is measured against: the least a relay can do for the same pass-through.
 * A bare node:http server that forwards POST /v1/chat/completions to the upstream through one undici
 * Pool with the proxy's keep-alive options, with one fixed key, the client's body bytes as they came,
 * and the upstream's answer relayed as it arrives (JSON and SSE alike). No key pool, no events, no
 * metrics, no checks. Its own process, on 127.0.0.1 only.
 *
 *   node -r tsx/cjs scripts/bench/bare-relay.ts --upstream http://127.0.0.1:PORT/api/v1 --key k1
 */
import http from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { Pool, type Dispatcher } from 'undici';
import { argValue } from './stats';

const upstream = new URL(argValue('upstream') ?? 'http://127.0.0.1:9999/api/v1');
const path = `${upstream.pathname.replace(/\/+$/, '')}/chat/completions`;
const headers = ['authorization', `Bearer ${argValue('key') ?? 'k1'}`, 'content-type', 'application/json'];
// The same options as src/proxy/upstream-pool.ts, so the comparison is about what runs per request.
const pool = new Pool(upstream.origin, {
  pipelining: 1, keepAliveTimeout: 10_000, keepAliveMaxTimeout: 600_000, headersTimeout: 0, bodyTimeout: 0, connect: { timeout: 10_000 },
});

/** Relays one upstream answer to `res` as it arrives, pausing the upstream while the client is slow. */
class Relay implements Dispatcher.DispatchHandler {
  constructor(private readonly res: http.ServerResponse) {}
  onRequestStart(): void {}
  onResponseStart(c: Dispatcher.DispatchController, status: number, h: IncomingHttpHeaders): void {
    const out: string[] = [];
    for (const name of ['content-type', 'content-length', 'cache-control', 'x-generation-id']) {
      const v = h[name];
      if (typeof v === 'string') out.push(name, v);
    }
    this.res.writeHead(status, out);
    this.res.on('close', () => { if (!this.res.writableFinished) c.abort(new Error('client went away')); });
  }
  onResponseData(c: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.res.write(chunk)) { c.pause(); this.res.once('drain', () => c.resume()); }
  }
  onResponseEnd(): void { this.res.end(); }
  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    if (this.res.headersSent) { this.res.destroy(err); return; }
    this.res.writeHead(502, { 'content-type': 'application/json' }).end('{"error":{"message":"upstream failed"}}');
  }
}

const server = http.createServer({ keepAlive: true }, (req, res) => {
  if (req.method !== 'POST' || req.url !== '/v1/chat/completions') { res.writeHead(404).end(); return; }
  const parts: Buffer[] = [];
  req.on('data', (b: Buffer) => parts.push(b));
  req.on('end', () => {
    const body = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    pool.dispatch({ path, method: 'POST', headers, body }, new Relay(res));
  });
});
server.keepAliveTimeout = 72_000; // as the proxy (fastify's default)

server.listen(Number(argValue('port') ?? 0), '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  console.log(`bare relay listening: http://127.0.0.1:${port}`);
});
// A normal exit (not death by the signal), so that --cpu-prof writes its profile.
const stop = () => { server.closeAllConnections(); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
