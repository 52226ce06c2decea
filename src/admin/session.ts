// Admin sessions: an encrypted cookie (@fastify/secure-session) holding the session id and its start,
// checked against admin_sessions on every use. Idle expiry is the cookie's own timestamp (renewed
// while the admin is active); the absolute expiry is the row's. HttpOnly, SameSite=Strict, path
// /admin, and Secure whenever the request came over HTTPS (req.protocol honours TRUST_PROXY).

import { hkdfSync } from 'node:crypto';
import secureSession from '@fastify/secure-session';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Runtime } from '../runtime';
import { sendError } from '../http/errors';
import { SessionStore } from '../store/session-store';
import { sessionSecret } from './session-secret';

export const COOKIE_NAME = 'orp_admin';
export const COOKIE_PATH = '/admin';

declare module 'fastify' {
  interface FastifyRequest { adminSid?: string }
}
declare module '@fastify/secure-session' {
  interface SessionData { sid: string; started: number; __ts: number }
}

export interface Sessions {
  store: SessionStore;
  idleMs: number;
  maxMs: number;
}

/** The cookie key, derived from the session secret (session-secret.ts says where that comes from). */
export async function sessionKey(rt: Runtime): Promise<Buffer> {
  const secret = await sessionSecret(rt.config, rt.meta, rt.log);
  return Buffer.from(hkdfSync('sha256', secret, 'openrouter-polling', 'admin session cookie', 32));
}

export async function registerSessions(app: FastifyInstance, rt: Runtime): Promise<Sessions> {
  const idleMs = rt.config.sessionIdleMinutes * 60_000;
  const sessions: Sessions = { store: new SessionStore(rt.db), idleMs, maxMs: rt.config.sessionMaxHours * 3_600_000 };
  await app.register(secureSession, {
    key: await sessionKey(rt),
    cookieName: COOKIE_NAME,
    expiry: Math.ceil(idleMs / 1000), // the idle limit: the cookie's timestamp is renewed while in use
    cookie: { path: COOKIE_PATH, httpOnly: true, sameSite: 'strict' },
  });
  app.decorateRequest('adminSid', undefined);
  return sessions;
}

function cookieOptions(req: FastifyRequest, maxAgeSeconds: number) {
  return { path: COOKIE_PATH, httpOnly: true, sameSite: 'strict' as const, secure: req.protocol === 'https', maxAge: Math.max(1, Math.floor(maxAgeSeconds)) };
}

/** Opens a session for this request's client: a new row and a fresh cookie. */
export async function openSession(req: FastifyRequest, s: Sessions): Promise<void> {
  const now = Date.now();
  // The browser's previous session ends here: otherwise a kept copy of its cookie would outlive logout.
  const previous = req.session.get('sid');
  if (typeof previous === 'string') await s.store.close(previous);
  const sid = await s.store.create(now, s.maxMs);
  req.session.regenerate();
  req.session.set('sid', sid);
  req.session.set('started', now);
  req.session.options(cookieOptions(req, s.maxMs / 1000));
  req.adminSid = sid;
}

/** The open session's id, or null. Renews the idle timestamp now and then (not on every poll). */
export async function checkSession(req: FastifyRequest, s: Sessions): Promise<string | null> {
  const sid = req.session.get('sid');
  const started = req.session.get('started');
  if (typeof sid !== 'string' || typeof started !== 'number') return null;
  const now = Date.now();
  if (now - started >= s.maxMs) return null;
  if (!(await s.store.isOpen(sid, now))) return null;
  const stamped = Number(req.session.get('__ts')) * 1000;
  if (now - stamped > Math.min(60_000, s.idleMs / 4)) {
    req.session.touch();
    req.session.options(cookieOptions(req, (started + s.maxMs - now) / 1000));
  }
  req.adminSid = sid;
  return sid;
}

/** Ends this request's session: the row goes (on every replica) and the cookie is cleared. */
export async function closeSession(req: FastifyRequest, s: Sessions): Promise<boolean> {
  const sid = req.session.get('sid');
  req.session.options({ path: COOKIE_PATH, httpOnly: true, sameSite: 'strict', secure: req.protocol === 'https' });
  req.session.delete();
  return typeof sid === 'string' ? s.store.close(sid) : false;
}

/** preHandler for API routes: 401 without an open session. */
export function requireSession(s: Sessions) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (await checkSession(req, s)) return;
    return sendError(reply, 'unauthorized', 'log in first: this request has no valid admin session');
  };
}

/** preHandler for pages: a redirect to the login page without an open session. */
export function requirePageSession(s: Sessions) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (await checkSession(req, s)) return;
    return reply.header('cache-control', 'no-store').redirect('/admin/login', 302);
  };
}
