// The OpenAI-compatible routes under /v1, in their own plugin scope: the raw-body JSON parser, the
// APP_API_KEY guard and the request counter apply to them only.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../http/errors';
import type { Runtime } from '../runtime';
import { appKeyGuard } from './app-key-guard';
import { proxyBody, upstreamBytes, useProxyBodyParser } from './body';
import { Exchange, type ProxyContext } from './failover';
import { ModelsCache } from './models-cache';
import { ProxyMetrics } from './proxy-metrics';
import { closeUpstream, upstreamFor } from './upstream-pool';
import { RequestTrace, requestModel } from '../request-log/trace';

/** Upstream paths of the inference routes; embeddings never stream. */
const INFERENCE = [
  { url: '/v1/chat/completions', path: '/chat/completions', streams: true },
  { url: '/v1/completions', path: '/completions', streams: true },
  { url: '/v1/embeddings', path: '/embeddings', streams: false },
] as const;

export async function registerProxy(app: FastifyInstance, rt: Runtime): Promise<void> {
  await app.register(async (scope) => {
    const upstream = upstreamFor(rt);
    const ctx: ProxyContext = { rt, upstream, metrics: new ProxyMetrics(rt.metrics), inflight: new Set(), onRequestDone: rt.requestLog.record };
    const models = new ModelsCache(upstream, rt.config.modelsCacheSeconds, () => rt.settings.requestTimeoutSeconds,
      (err) => rt.log.warn({ err: err.message }, 'serving a stale model list: the upstream list failed'));

    useProxyBodyParser(scope);
    // Fastify builds a pino child (bindings run through redaction) for every request, although request
    // logging is off and the proxy logs through rt.log: that was ~7 % of the proxy's CPU under load
    // (BENCHMARKS.md). Proxy routes share the app logger; their lines carry no reqId.
    scope.setChildLoggerFactory((logger) => logger);
    scope.addHook('onRequest', appKeyGuard(rt.secretSettings));
    scope.addHook('onResponse', (req, reply, done) => {
      ctx.metrics.request(req.routeOptions.url ?? 'unknown', reply.raw.statusCode); // raw: streams write it themselves
      done();
    });
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

    for (const r of INFERENCE) {
      const path = upstream.path(r.path);
      scope.post(r.url, function inference(req: FastifyRequest, reply: FastifyReply) {
        const body = proxyBody(req);
        const bytes = upstreamBytes(body, rt.settings.defaultModel);
        const stream = r.streams && body.json.stream === true;
        const ex = new Exchange(ctx, reply, path, bytes, stream);
        ex.trace = new RequestTrace(rt.projection.now(), r.url, requestModel(body.json.model, rt.settings.defaultModel), stream, req.ip);
        ex.start();
        return reply;
      });
    }

    scope.get('/v1/models', async (req, reply) => {
      reply.type('application/json; charset=utf-8');
      const q = req.url.indexOf('?');
      return models.list(q === -1 ? '' : req.url.slice(q + 1));
    });
    scope.get('/v1/models/*', async (req) => {
      const id = decodeURIComponent((req.params as { '*': string })['*']);
      const model = await models.one(id);
      if (!model) throw new ApiError('not_found', `model ${JSON.stringify(id)} is not in the upstream model list`);
      return model;
    });
  });
}

function endInflight(ctx: ProxyContext): void {
  for (const ex of [...ctx.inflight]) ex.shutdown();
}
