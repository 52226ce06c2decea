// The proxy's request body: parsed once, the original bytes kept so an unchanged body goes upstream
// byte for byte. Only a missing or empty `model` is filled in, and only then is the body re-encoded.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../http/errors';

export class ProxyBody {
  constructor(readonly raw: Buffer, readonly json: Record<string, unknown>) {}
}

/** Replaces the JSON parsers of `scope` (the proxy's plugin) with one that keeps the raw bytes. */
export function useProxyBodyParser(scope: FastifyInstance): void {
  scope.removeAllContentTypeParsers();
  // Only JSON types get this far (browser-guard.ts answers 415 to the others, which only a browser's
  // no-cors request needs); '*' takes `application/json; charset=…` and `…+json` alike. application/json
  // is named too: Fastify caches the parser it finds for a named type, while the catch-all is looked up
  // again (the Content-Type header parsed) on every request.
  scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, parseProxyBody);
  scope.addContentTypeParser('*', { parseAs: 'buffer' }, parseProxyBody);
}

function parseProxyBody(_req: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void): void {
  const raw = typeof body === 'string' ? Buffer.from(body) : body;
  if (raw.length === 0) return done(new ApiError('invalid_json', 'the body is empty; send a JSON object'));
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    return done(new ApiError('invalid_json', `the body is not valid JSON: ${(err as Error).message}`));
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return done(new ApiError('invalid_request', `the body must be a JSON object, not ${json === null ? 'null' : Array.isArray(json) ? 'an array' : typeof json}`));
  }
  done(null, new ProxyBody(raw, json as Record<string, unknown>));
}

/** The parsed body of a proxy request; a request without one is a 400. */
export function proxyBody(req: FastifyRequest): ProxyBody {
  const b = req.body;
  if (b instanceof ProxyBody) return b;
  throw new ApiError('invalid_json', 'the body is empty; send a JSON object with Content-Type: application/json');
}

/** The bytes to send upstream: the client's own, unless `model` was missing or empty. */
export function upstreamBytes(body: ProxyBody, defaultModel: string): Buffer {
  const model = body.json.model;
  if (model !== undefined && model !== null && !(typeof model === 'string' && model.trim() === '')) return body.raw;
  try {
    return Buffer.from(JSON.stringify({ ...body.json, model: defaultModel }));
  } catch (err) {
    if (err instanceof RangeError) throw new ApiError('invalid_request', 'the body is nested too deeply to add the default model; name a model in it', { param: 'model' });
    throw err;
  }
}
