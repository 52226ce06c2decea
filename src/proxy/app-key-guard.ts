// APP_API_KEY: when one is set (environment or settings, a live change), every /v1 request must carry
// it the way its protocol's clients send a key (`Authorization: Bearer`, or `x-api-key` on
// /v1/messages). The comparison is constant time (secret-settings.ts).

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../http/errors';
import type { SecretSettings } from '../settings/secret-settings';
import type { Protocol } from './protocols/protocol';

export type SendError = (req: FastifyRequest, reply: FastifyReply, code: ErrorCode, message: string) => void;

/** Answers 401 (and says true) when an APP_API_KEY is set and the request does not carry it. */
export function refusedWithoutAppKey(secrets: SecretSettings, protocolOf: (req: FastifyRequest) => Protocol, req: FastifyRequest, reply: FastifyReply, send: SendError): boolean {
  if (!secrets.appApiKeySet) return false;
  const p = protocolOf(req);
  const key = p.clientKey(req.headers);
  if (secrets.checkAppApiKey(key)) return false;
  const message = key === undefined
    ? `this proxy needs an API key: send ${p.name === 'messages' ? 'x-api-key: <APP_API_KEY> or ' : ''}Authorization: Bearer <APP_API_KEY>`
    : 'the API key is not valid for this proxy';
  send(req, reply, 'invalid_api_key', message);
  return true;
}
