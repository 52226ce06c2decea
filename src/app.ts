// buildApp(runtime): the Fastify instance with every route. It never listens; main.ts does.

import Fastify, { LogController, type FastifyInstance, type FastifyBaseLogger } from 'fastify';
import type { Runtime } from './runtime';
import { ApiError, errorBody, sendError } from './http/errors';
import { ping } from './store/database';
import { registerMetrics } from './http/metrics-route';
import { registerProxy } from './proxy/routes';
import { HealthProber } from './health/prober';
import { CreditRefresher } from './health/credit-refresh';
import { adminPlugin } from './admin/plugin';

export interface AppOptions { logger: FastifyBaseLogger }

export async function buildApp(rt: Runtime, opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: opts.logger,
    bodyLimit: rt.config.bodyLimitBytes,
    trustProxy: rt.config.trustProxy,
    logController: new LogController({ disableRequestLogging: true }), // per-request lines would cost the hot path
    forceCloseConnections: false,
    return503OnClosing: false, // answered below, in our error shape
  });

  // While the server drains, a request that still arrives on a kept-alive connection is refused
  // clearly, and the connection is closed after the answer.
  let closing = false;
  app.addHook('preClose', (done) => { closing = true; done(); });
  app.addHook('onRequest', (_req, reply, done) => {
    if (!closing) return done();
    reply.header('connection', 'close');
    sendError(reply, 'not_ready', 'the server is shutting down; retry on another instance');
  });

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof ApiError) return reply.code(err.status).send(errorBody(err.code, err.message, err.extra));
    const e = err as { statusCode?: number; code?: string; message: string; validation?: unknown };
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, 'body_too_large', `request body is larger than ${rt.config.bodyLimitBytes} bytes`);
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendError(reply, 'unsupported_media_type', 'send the body as application/json');
    if (e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return sendError(reply, 'invalid_json', 'the body is empty; send a JSON object');
    if (e.statusCode === 400 && (e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError)) {
      return sendError(reply, 'invalid_json', `the body is not valid JSON: ${e.message}`);
    }
    if (e.validation) return sendError(reply, 'invalid_request', e.message);
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return sendError(reply, 'invalid_request', e.message);
    req.log.error({ err }, 'unhandled error');
    return sendError(reply, 'internal_error', 'internal error');
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, 'not_found', `no route for ${req.method} ${req.url.split('?')[0]}`));

  registerMetrics(app, rt);
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    if (await ping(rt.db)) return { status: 'ready' };
    return sendError(reply, 'not_ready', 'the database does not answer');
  });
  app.get('/', async (_req, reply) => reply.redirect('/admin/login'));
  await registerProxy(app, rt);
  const prober = new HealthProber(rt);
  app.addHook('onReady', async () => prober.start());
  app.addHook('onClose', async () => prober.stop());
  const credit = new CreditRefresher(rt);
  app.addHook('onReady', async () => credit.start());
  app.addHook('onClose', async () => credit.stop());
  await app.register(adminPlugin, { prefix: '/admin', rt });

  return app;
}
