// The proxy's routes under /v1 and, the same, under /api/v1 (OpenRouter's own base URL form), in
// their own plugin scope: the raw-body JSON parser, the browser and APP_API_KEY guards and an error handler that
// answers in each protocol's error shape apply to them only.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, apiErrorOf, ERRORS, type ErrorCode } from '../http/errors';
import type { Runtime } from '../runtime';
import { closeUpstream, upstreamFor } from '../upstream/pool';
import { refusedWithoutAppKey, type SendError } from './app-key-guard';
import { proxyBody, upstreamBytes, useProxyBodyParser } from './body';
import { refusedFromBrowser } from './browser-guard';
import { Exchange, type ProxyContext } from './failover';
import { GenerationMemory } from './generation-memory';
import { fetchGeneration } from './generation-route';
import { ModelsCache } from './models-cache';
import { PROTOCOLS, type Protocol } from './protocols';
import { chatCompletions } from './protocols/chat';
import { messages } from './protocols/messages';
import { ProxyMetrics } from './proxy-metrics';

const PREFIXES = ['/v1', '/api/v1'] as const;
const NO_HEADERS: readonly string[] = [];

export interface ProxyOptions {
  /** Called once at the end of every proxied inference request (see request-summary.ts). */
  onRequestDone?: ProxyContext['onRequestDone'];
}

/** Registers the routes; the context it returns is where `onRequestDone` can be set later too. */
export async function registerProxy(app: FastifyInstance, rt: Runtime, opts: ProxyOptions = {}): Promise<ProxyContext> {
  const upstream = upstreamFor(rt);
  const ctx: ProxyContext = {
    rt, upstream, metrics: new ProxyMetrics(rt.metrics), inflight: new Set(), generations: new GenerationMemory(),
    onRequestDone: opts.onRequestDone,
  };
  await app.register(async (scope) => {
    const models = new ModelsCache(upstream, rt.config.modelsCacheSeconds, () => rt.settings.requestTimeoutSeconds,
      (err) => rt.log.warn({ err: err.message }, 'serving a stale model list: the upstream list failed'));

    // Each route's protocol, so that guards and errors answer in the shape its clients read.
    const byRoute = new Map<string, Protocol>();
    const protocolOf = (req: FastifyRequest): Protocol => byRoute.get(req.routeOptions.url ?? '') ?? chatCompletions;
    const send: SendError = (req, reply, code, message) => {
      reply.code(apiStatus(code)).type('application/json; charset=utf-8').send(protocolOf(req).errorBody(code, message));
    };

    useProxyBodyParser(scope);
    // Fastify builds a pino child (bindings run through redaction) for every request, although request
    // logging is off and the proxy logs through rt.log: that was ~7 % of the proxy's CPU under load
    // (BENCHMARKS.md). Proxy routes share the app logger; their lines carry no reqId.
    scope.setChildLoggerFactory((logger) => logger);
    scope.setErrorHandler((err, req, reply) => {
      const e = apiErrorOf(err, rt.config.bodyLimitBytes);
      if (e.code === 'internal_error' && !(err instanceof ApiError)) rt.log.error({ err }, 'unhandled error');
      send(req, reply, e.code, e.message);
    });
    // Both guards in one hook, before any body is read: each hook Fastify runs costs a request ~0.3 µs.
    const secrets = rt.secretSettings;
    scope.addHook('onRequest', function guard(req, reply, done) {
      if (refusedFromBrowser(secrets, req, reply, send) || refusedWithoutAppKey(secrets, protocolOf, req, reply, send)) return;
      done();
    });
    // Responses are counted by the app-wide onResponse hook (src/http/metrics-route.ts): one hook per request.
    // On close, answers in flight get SHUTDOWN_GRACE_SECONDS to finish; then they end with an error.
    let graceTimer: NodeJS.Timeout | undefined;
    scope.addHook('preClose', (done) => {
      graceTimer = setTimeout(endInflight, rt.config.shutdownGraceSeconds * 1000, ctx);
      graceTimer.unref();
      done();
    });
    scope.addHook('onClose', async () => {
      clearTimeout(graceTimer);
      endInflight(ctx);
      await closeUpstream(rt, 1000);
    });

    for (const prefix of PREFIXES) {
      for (const p of PROTOCOLS) {
        const url = prefix + p.route;
        byRoute.set(url, p);
        const path = upstream.path(p.upstreamPath);
        scope.post(url, function inference(req: FastifyRequest, reply: FastifyReply) {
          const body = proxyBody(req);
          const q = p.passHeaders.length > 0 ? req.url.indexOf('?') : -1; // Claude Code posts ?beta=true
          let extra = NO_HEADERS;
          if (p.passHeaders.length > 0) {
            const pass: string[] = [];
            for (const h of p.passHeaders) {
              const v = req.headers[h];
              if (typeof v === 'string') pass.push(h, v);
            }
            extra = pass;
          }
          const model = body.json.model;
          new Exchange(ctx, reply, {
            protocol: p, route: url, path: q === -1 ? path : path + req.url.slice(q), extraHeaders: extra,
            body: upstreamBytes(body, rt.settings.defaultModel), stream: p.streams && body.json.stream === true,
            model: typeof model === 'string' && model.trim() !== '' ? model : rt.settings.defaultModel, clientAddress: req.ip ?? null,
          }).start();
          // Nothing returned: a returned reply is a thenable, and Fastify would then attach stream.finished
          // listeners to every response to learn when it ends (BENCHMARKS.md, "Proxy vs bare relay").
        });
      }

      // OpenRouter has no token counter; Claude Code estimates locally when this is missing.
      byRoute.set(`${prefix}/messages/count_tokens`, messages);
      scope.post(`${prefix}/messages/count_tokens`, async () => {
        throw new ApiError('not_found', 'token counting is not available: OpenRouter has no /messages/count_tokens endpoint');
      });

      scope.get(`${prefix}/generation`, async (req, reply) => fetchGeneration(ctx, req, reply));

      scope.get(`${prefix}/models`, async (req, reply) => {
        reply.type('application/json; charset=utf-8');
        const q = req.url.indexOf('?');
        return models.list(q === -1 ? '' : req.url.slice(q + 1));
      });
      scope.get(`${prefix}/models/*`, async (req) => {
        const id = decodeURIComponent((req.params as { '*': string })['*']);
        const model = await models.one(id);
        if (!model) throw new ApiError('not_found', `model ${JSON.stringify(id)} is not in the upstream model list`);
        return model;
      });
    }
  });
  return ctx;
}

function apiStatus(code: ErrorCode): number { return ERRORS[code].status; }

function endInflight(ctx: ProxyContext): void {
  for (const ex of [...ctx.inflight]) ex.shutdown();
}
