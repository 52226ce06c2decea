// Refuses what only a web page's cross-site request could send, so that with no APP_API_KEY (the
// default) a page a user visits cannot spend the pool: a "simple" no-cors POST (text/plain, a form)
// is 415 whatever the key, and a request a browser marks as cross-site (Sec-Fetch-Site, or an Origin
// of another host) is 403 when no APP_API_KEY is set. SDKs and curl send neither.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SecretSettings } from '../settings/secret-settings';
import type { SendError } from './app-key-guard';

const JSON_TYPE = /^\s*application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

function hasBody(req: FastifyRequest): boolean {
  const len = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (len !== undefined && len !== '0');
}

function crossSite(req: FastifyRequest): boolean {
  if (req.headers['sec-fetch-site'] === 'cross-site') return true;
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  if (origin === 'null') return true; // sandboxed frames and file: pages
  try { return new URL(origin).host !== req.headers.host; } catch { return true; }
}

/** Answers 415 or 403 (and says true) when the request is one only a web page would send. */
export function refusedFromBrowser(secrets: SecretSettings, req: FastifyRequest, reply: FastifyReply, send: SendError): boolean {
  const type = req.headers['content-type'];
  // The exact type every SDK sends is checked without the regex (it runs on every proxied request).
  if (req.method === 'POST' && type !== 'application/json' && hasBody(req) && !JSON_TYPE.test(type ?? '')) {
    send(req, reply, 'unsupported_media_type', 'send the body as JSON with Content-Type: application/json');
    return true;
  }
  if (!secrets.appApiKeySet && crossSite(req)) {
    send(req, reply, 'forbidden', 'cross-site browser requests are refused: this proxy has no APP_API_KEY, so a web page could otherwise spend the pool; set APP_API_KEY to allow them');
    return true;
  }
  return false;
}
