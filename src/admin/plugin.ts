// Everything under /admin: sessions, CSRF defence, the JSON API and the dashboard's pages and assets.
// Registered in its own encapsulated context, so the proxy's hot path never decodes a cookie.

import type { FastifyInstance } from 'fastify';
import { probeKey } from '../health/probe-key';
import type { Runtime } from '../runtime';
import { authRoutes } from './auth-routes';
import { csrfGuard } from './csrf';
import { ApiError } from '../http/errors';
import { eventsRoutes } from './events-routes';
import { followLogLevel } from './log-level';
import { keyRoutes, type ProbeNow } from './key-routes';
import { requestsRoutes } from './requests-routes';
import { bulkRoutes } from './bulk-routes';
import { registerSessions, requirePageSession, requireSession } from './session';
import { settingsRoutes } from './settings-routes';
import { staticUi } from './static-ui';
import { statusRoutes } from './status-routes';

/** Keys that could reach an object's prototype never survive parsing. */
const dropProtoKeys = (key: string, value: unknown) => (key === '__proto__' || key === 'constructor' ? undefined : value);

/** `probe` is the health check's probeKey unless a test swaps it. */
export interface AdminOptions { rt: Runtime; probe?: ProbeNow }

export async function adminPlugin(app: FastifyInstance, { rt, probe = checkNow }: AdminOptions): Promise<void> {
  followLogLevel(app, rt);
  const sessions = await registerSessions(app, rt);
  app.addHook('onRequest', csrfGuard);
  // Bodiless commands (logout, DELETE) may send the required JSON content type with an empty body.
  // Admin bodies are small (a key list at most): ADMIN_BODY_LIMIT_BYTES, well below the /v1 limit.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: rt.config.adminBodyLimitBytes }, (_req, body, done) => {
    const text = (body as string).trim();
    if (text === '') return done(null, {});
    try { done(null, JSON.parse(text, dropProtoKeys)); } catch (err) {
      if (err instanceof RangeError) return done(new ApiError('invalid_json', 'the body is nested too deeply'), undefined);
      (err as { statusCode?: number }).statusCode = 400;
      done(err as Error, undefined);
    }
  });
  app.addHook('onSend', async (_req, reply) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store'); // admin answers are private
  });

  authRoutes(app, rt, sessions);
  staticUi(app, requirePageSession(sessions));

  // Every API route below needs an open session, checked before the body is read: a request
  // without one is refused without parsing (or even receiving) what it sent.
  await app.register(async (api) => {
    api.addHook('onRequest', requireSession(sessions));
    keyRoutes(api, rt, probe);
    settingsRoutes(api, rt, sessions);
    statusRoutes(api, rt);
    eventsRoutes(api, rt);
    requestsRoutes(api, rt);
    bulkRoutes(api, rt, probe);
  });
}

/** "Check now": an admin's probe, which also ends a cooldown when the key passes. */
const checkNow: ProbeNow = (rt, id) => probeKey(rt, id, undefined, true);
