// APP_API_KEY: when one is set (environment or settings, a live change), every /v1 request must
// carry `Authorization: Bearer <APP_API_KEY>`. The comparison is constant time (secret-settings.ts).

import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from '../http/errors';
import type { SecretSettings } from '../settings/secret-settings';

export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : undefined;
}

/** An onRequest hook; answers 401 before any body is read. */
export function appKeyGuard(secrets: SecretSettings) {
  return function guard(req: FastifyRequest, reply: FastifyReply, done: () => void): void {
    if (!secrets.appApiKeySet || secrets.checkAppApiKey(bearerToken(req.headers.authorization))) return done();
    const message = req.headers.authorization === undefined
      ? 'this proxy needs an API key: send Authorization: Bearer <APP_API_KEY>'
      : 'the API key is not valid for this proxy';
    sendError(reply, 'invalid_api_key', message);
  };
}
