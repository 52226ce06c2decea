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

/** Any error a route or fastify threw, as one of ours (unknown ones become internal_error). */
export function apiErrorOf(err: unknown, bodyLimitBytes: number): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as { statusCode?: number; code?: string; message: string; validation?: unknown };
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new ApiError('body_too_large', `request body is larger than ${bodyLimitBytes} bytes`);
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new ApiError('unsupported_media_type', 'send the body as application/json');
  if (e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return new ApiError('invalid_json', 'the body is empty; send a JSON object');
  if (e.statusCode === 400 && (e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError)) {
    return new ApiError('invalid_json', `the body is not valid JSON: ${e.message}`);
  }
  if (e.validation) return new ApiError('invalid_request', e.message);
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return new ApiError('invalid_request', e.message);
  return new ApiError('internal_error', 'internal error');
}
