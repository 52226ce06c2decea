// POST /admin/login and /admin/logout. Every outcome goes to the audit history with the client's
// address (never the password): the socket's peer, or the address the trusted proxy hops
// (TRUST_PROXY) report. Repeated failures lock the address out for a while, and too many overall
// lock every login out (login-guard.ts).

import type { FastifyInstance, FastifyReply } from 'fastify';
import { ApiError, sendError } from '../http/errors';
import type { AdminLoginData, NewEvent } from '../events/types';
import type { Runtime } from '../runtime';
import { LoginGuard } from './login-guard';
import { objectBody, requiredString } from './schemas';
import { closeSession, openSession, type Sessions } from './session';

export function authRoutes(app: FastifyInstance, rt: Runtime, sessions: Sessions): void {
  const guard = new LoginGuard(rt.config.loginMaxFailures, rt.config.loginLockoutSeconds * 1000, rt.config.loginMaxFailuresTotal);
  const record = (type: 'AdminLoginSucceeded' | 'AdminLoginFailed' | 'AdminLoggedOut', data: AdminLoginData) =>
    rt.projection.command(() => ({ events: [{ type, at: Date.now(), key_id: null, actor: 'admin', data } as NewEvent], result: null }));

  app.post('/login', async (req, reply) => {
    const client = req.ip;
    const now = Date.now();
    // A locked-out client is refused before its password is looked at (and without an event each
    // time, so a guesser cannot flood the history; the failure that locked it is recorded).
    const wait = guard.retryAfter(client, now);
    if (wait > 0) return tooMany(reply, wait, guard.lockedForAll(now));
    const body = objectBody(req.body);
    const password = requiredString('password', body.password, { maxLength: 1024 });
    if (!rt.secretSettings.checkAdminPassword(password)) {
      const lockedFor = guard.fail(client, now);
      await record('AdminLoginFailed', { client });
      req.log.warn({ client, locked_for_seconds: lockedFor || undefined }, 'admin login failed');
      // This attempt is answered for what it was; the next ones wait (429).
      throw new ApiError('unauthorized', 'wrong password', lockedFor > 0 ? { retry_after: lockedFor } : undefined);
    }
    guard.succeed(client);
    await openSession(req, sessions);
    await record('AdminLoginSucceeded', { client });
    req.log.info({ client }, 'admin logged in');
    return reply.header('cache-control', 'no-store').send({ message: 'logged in' });
  });

  app.post('/logout', async (req) => {
    objectBody(req.body);
    const ended = await closeSession(req, sessions);
    if (ended) await record('AdminLoggedOut', { client: req.ip });
    return { message: ended ? 'logged out' : 'no session was open' };
  });
}

function tooMany(reply: FastifyReply, seconds: number, everyone: boolean): FastifyReply {
  reply.header('retry-after', String(seconds));
  const who = everyone ? 'from many addresses' : 'from this address';
  return sendError(reply, 'too_many_attempts', `too many failed logins ${who}; try again in ${seconds} s`, { retry_after: seconds });
}
