// buildApp(runtime): the Fastify instance with every route. It never listens; main.ts does.

import Fastify, { LogController, type FastifyInstance, type FastifyBaseLogger } from 'fastify';
import type { Runtime } from './runtime';
import { ApiError, apiErrorOf, errorBody, sendError } from './http/errors';
import { ping } from './store/database';
import { registerMetrics } from './http/metrics-route';
import { lazyChildLogger } from './http/lazy-request-logger';
import { registerProxy } from './proxy/routes';
import type { RequestDoneHook } from './proxy/request-summary';
import { HealthProber } from './health/prober';
import { CreditRefresher } from './health/credit-refresh';
import { adminPlugin } from './admin/plugin';
import { serverOptions } from './http/server-options';

export interface AppOptions {
  logger: FastifyBaseLogger;
  /** Called at the end of every proxied request with its summary (the request log hooks here). */
  onRequestDone?: RequestDoneHook;
}

export async function buildApp(rt: Runtime, opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: opts.logger,
    bodyLimit: rt.config.bodyLimitBytes,
    ...serverOptions(rt.config),
    logController: new LogController({ disableRequestLogging: true }), // per-request lines would cost the hot path
    childLoggerFactory: lazyChildLogger,
    // A URL fastify cannot decode (`/v1/%zz`) is answered in our error shape, not fastify's.
    frameworkErrors: (err, _req, reply) => sendError(reply, 'invalid_request', err.code === 'FST_ERR_BAD_URL' ? 'the URL is not valid: a % escape does not decode' : err.message),
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
    const limit = req.url.startsWith('/admin') ? rt.config.adminBodyLimitBytes : rt.config.bodyLimitBytes;
    const e = apiErrorOf(err, limit);
    if (err instanceof ApiError) return reply.code(e.status).send(errorBody(e.code, e.message, e.extra));
    if (e.code === 'internal_error') req.log.error({ err }, 'unhandled error');
    return sendError(reply, e.code, e.message);
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, 'not_found', `no route for ${req.method} ${req.url.split('?')[0]}`));

  registerMetrics(app, rt);
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    if (await ping(rt.db)) return { status: 'ready' };
    return sendError(reply, 'not_ready', 'the database does not answer');
  });
  app.get('/', async (_req, reply) => reply.redirect('/admin/login'));
  // Decorated so that a read model started after the app (or a test) can set onRequestDone.
  // Without a hook of the caller's own, every request goes to the request log.
  app.decorate('proxyContext', await registerProxy(app, rt, { onRequestDone: opts.onRequestDone ?? rt.requestLog.recordProxy }));
  const prober = new HealthProber(rt);
  app.addHook('onReady', async () => prober.start());
  app.addHook('onClose', async () => prober.stop());
  const credit = new CreditRefresher(rt);
  app.addHook('onReady', async () => credit.start());
  app.addHook('onClose', async () => credit.stop());
  await app.register(adminPlugin, { prefix: '/admin', rt });

  return app;
}
