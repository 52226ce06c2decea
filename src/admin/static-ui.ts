// Serves the built dashboard (admin-ui/dist, made by scripts/build-ui.mjs): the same index.html for
// every page path (never cached: it names the current assets), and the content-hashed assets under
// /admin/assets/ cached for a year. Pages other than the login page need a session.

import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { FastifyInstance, FastifyReply, preHandlerHookHandler } from 'fastify';
import { sendError } from '../http/errors';
import { PROJECT_ROOT } from './package-info';

export const DIST = join(PROJECT_ROOT, 'admin-ui', 'dist');
export const PAGES = ['/dashboard', '/settings-page', '/status-page', '/history-page', '/requests-page'];

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.map': 'application/json',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.woff2': 'font/woff2',
};
const ASSET_NAME = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.(js|css|map|svg|png|ico|woff2)$/;

// The page never runs code or styles from anywhere but this server, and is never framed.
const CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "font-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

export function staticUi(app: FastifyInstance, pageGuard: preHandlerHookHandler): void {
  const assets = new Map<string, Buffer>(); // hashed names never change content: read each once

  const sendIndex = async (reply: FastifyReply) => {
    let html: Buffer;
    try { html = await readFile(join(DIST, 'index.html')); } catch {
      return sendError(reply, 'not_ready', 'the dashboard is not built: run `npm run build` (or node scripts/build-ui.mjs)');
    }
    return reply
      .header('cache-control', 'no-cache')
      .header('content-security-policy', CSP)
      .header('x-frame-options', 'DENY')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'same-origin')
      .type('text/html; charset=utf-8')
      .send(html);
  };

  app.get('/login', async (_req, reply) => sendIndex(reply));
  for (const page of PAGES) app.get(page, { preHandler: pageGuard }, async (_req, reply) => sendIndex(reply));
  app.get('/', async (_req, reply) => reply.redirect('/admin/dashboard', 302));

  app.get('/assets/:name', async (req, reply) => {
    const { name } = req.params as { name: string };
    if (!ASSET_NAME.test(name)) return sendError(reply, 'not_found', `no asset ${name}`);
    let body = assets.get(name);
    if (!body) {
      try { body = await readFile(join(DIST, name)); } catch { return sendError(reply, 'not_found', `no asset ${name}`); }
      if (assets.size < 200) assets.set(name, body);
    }
    return reply
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('x-content-type-options', 'nosniff')
      .type(TYPES[extname(name)] ?? 'application/octet-stream')
      .send(body);
  });
}
