// GET /v1/generation?id=…: OpenRouter's cost and stats lookup for one generation, asked with the key
// that served it (remembered by the exchange), so that a client of the pool can read its own costs.
// An id the proxy does not remember is asked with any available key (same account, per the wire doc).

import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../http/errors';
import { scrubBytes } from '../upstream/scrub';
import type { ProxyContext } from './failover';

export async function fetchGeneration(ctx: ProxyContext, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { rt, upstream } = ctx;
  const id = (req.query as { id?: unknown }).id;
  if (typeof id !== 'string' || id === '') throw new ApiError('invalid_request', 'name the generation: GET /v1/generation?id=gen-…');
  const known = ctx.generations.keyOf(id, rt.projection.now());
  let secret = known === null ? undefined : rt.secrets.get(known);
  if (secret === undefined) {
    const key = rt.projection.pick([]);
    secret = key === null ? undefined : rt.secrets.get(key.id);
  }
  if (secret === undefined) throw new ApiError('no_available_keys', 'no upstream API key is available right now to look up the generation');
  const ms = rt.settings.requestTimeoutSeconds * 1000;
  let res;
  try {
    res = await upstream.pool.request({
      path: `${upstream.path('/generation')}?id=${encodeURIComponent(id)}`, method: 'GET', headers: upstream.getHeaders(secret),
      headersTimeout: ms, bodyTimeout: ms,
    });
  } catch (err) {
    throw new ApiError('upstream_error', `the upstream generation lookup failed (${(err as { code?: string }).code ?? 'connection error'})`);
  }
  const body = Buffer.from(await res.body.arrayBuffer());
  const ct = res.headers['content-type'];
  return reply.code(res.statusCode).type(typeof ct === 'string' ? ct : 'application/json').send(scrubBytes(body, secret));
}
