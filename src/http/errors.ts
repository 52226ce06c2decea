// One error shape for every route: {"error":{"message","type","code"}} (OpenAI's), with stable codes.

import type { FastifyReply } from 'fastify';

export const ERRORS = {
  invalid_json: { status: 400, type: 'invalid_request_error' },
  invalid_request: { status: 400, type: 'invalid_request_error' },
  invalid_api_key: { status: 401, type: 'authentication_error' },
  unauthorized: { status: 401, type: 'authentication_error' },
  forbidden: { status: 403, type: 'permission_error' },
  not_found: { status: 404, type: 'not_found_error' },
  ambiguous_suffix: { status: 409, type: 'conflict_error' },
  body_too_large: { status: 413, type: 'invalid_request_error' },
  unsupported_media_type: { status: 415, type: 'invalid_request_error' },
  too_many_attempts: { status: 429, type: 'rate_limit_error' },
  rate_limited: { status: 429, type: 'rate_limit_error' },
  internal_error: { status: 500, type: 'server_error' },
  upstream_error: { status: 502, type: 'upstream_error' },
  no_available_keys: { status: 503, type: 'server_error' },
  not_ready: { status: 503, type: 'server_error' },
  upstream_timeout: { status: 504, type: 'upstream_error' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

export interface ErrorBody { error: { message: string; type: string; code: string | number; [extra: string]: unknown } }

export function errorBody(code: ErrorCode, message: string, extra?: Record<string, unknown>): ErrorBody {
  return { error: { message, type: ERRORS[code].type, code, ...extra } };
}

export function sendError(reply: FastifyReply, code: ErrorCode, message: string, extra?: Record<string, unknown>): FastifyReply {
  return reply.code(ERRORS[code].status).type('application/json').send(errorBody(code, message, extra));
}

/** Thrown by handlers; the app's error handler turns it into the shape above. */
export class ApiError extends Error {
  constructor(readonly code: ErrorCode, message: string, readonly extra?: Record<string, unknown>) { super(message); }
  get status(): number { return ERRORS[this.code].status; }
}
