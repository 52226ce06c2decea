// APP_API_KEY: when one is set (environment or settings, a live change), every /v1 request must carry
// it the way its protocol's clients send a key (`Authorization: Bearer`, or `x-api-key` on
// /v1/messages). The comparison is constant time (secret-settings.ts).

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../http/errors';
import type { SecretSettings } from '../settings/secret-settings';
import type { Protocol } from './protocols/protocol';

export { bearerToken } from './protocols/protocol';

export type SendError = (req: FastifyRequest, reply: FastifyReply, code: ErrorCode, message: string) => void;

/** An onRequest hook; answers 401 before any body is read. */
export function appKeyGuard(secrets: SecretSettings, protocolOf: (req: FastifyRequest) => Protocol, send: SendError) {
  return function guard(req: FastifyRequest, reply: FastifyReply, done: () => void): void {
    if (!secrets.appApiKeySet) return done();
    const p = protocolOf(req);
    const key = p.clientKey(req.headers);
    if (secrets.checkAppApiKey(key)) return done();
    const message = key === undefined
      ? `this proxy needs an API key: send ${p.name === 'messages' ? 'x-api-key: <APP_API_KEY> or ' : ''}Authorization: Bearer <APP_API_KEY>`
      : 'the API key is not valid for this proxy';
    send(req, reply, 'invalid_api_key', message);
  };
}
