// CSRF defence for every state-changing admin route (login included), before the body is read:
// - a browser's cross-site request (Sec-Fetch-Site: cross-site) or a foreign Origin → 403;
// - a body type other than application/json → 415. HTML forms cannot send that type cross-site
//   without a CORS preflight, which this server never grants.
// A DELETE with no body may omit the content type (the original dashboard and scripts send it so):
// browsers always preflight DELETE cross-site, which this server never grants, and the Origin and
// Sec-Fetch-Site checks still apply. Bodiless POSTs (logout) still need the header: a cross-site
// page can send a POST with no body and no content type without a preflight.

import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from '../http/errors';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

export function csrfGuard(req: FastifyRequest, reply: FastifyReply, done: () => void): void {
  if (SAFE.has(req.method)) return done();
  const refusal = refuse(req);
  if (!refusal) return done();
  if (refusal.code === 'forbidden') req.log.warn({ origin: req.headers.origin, site: req.headers['sec-fetch-site'], url: req.url }, 'refused a cross-site admin request');
  sendError(reply, refusal.code, refusal.message);
}

function refuse(req: FastifyRequest): { code: 'forbidden' | 'unsupported_media_type'; message: string } | null {
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site') return { code: 'forbidden', message: 'cross-site requests to the admin are refused' };
  const origin = req.headers.origin;
  if (origin !== undefined && !sameHost(origin, req)) {
    return { code: 'forbidden', message: `requests from origin ${origin} are refused; use the dashboard on this host` };
  }
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (req.method === 'DELETE' && type === '' && !hasBody(req)) return null;
  if (type !== 'application/json') {
    return { code: 'unsupported_media_type', message: 'admin commands must be sent with content-type: application/json' };
  }
  return null;
}

function hasBody(req: FastifyRequest): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function sameHost(origin: string, req: FastifyRequest): boolean {
  let host: string;
  try { host = new URL(origin).host.toLowerCase(); } catch { return false; } // includes "null"
  const direct = (req.headers.host ?? '').toLowerCase();
  // Behind a trusted reverse proxy, req.host is the forwarded host the browser saw.
  return host === direct || host === req.host.toLowerCase();
}
