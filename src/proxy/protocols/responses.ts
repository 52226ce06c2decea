// OpenAI Responses (`/v1/responses`: Codex CLI, the OpenAI SDK's responses.*). Bearer key, OpenAI
// error body; a stream of typed data events ending with `response.completed` and `data: [DONE]`;
// failures end it with `response.failed`. Usage and cost are in `response.completed`.

import { errorBody, type ErrorCode } from '../../http/errors';
import { isObj } from '../../upstream/json';
import { errorText, statusOfError, type InBandError } from '../classify-response';
import { bearerToken, set, type Protocol, type StreamRules } from './protocol';

const CODE_OF: Record<string, string> = { rate_limited: 'rate_limit_exceeded', invalid_request_error: 'invalid_prompt' };

/**
 * `response.failed` (what Codex and the Responses spec end a failed stream with), then an `error`
 * event with a nested `error` (documented by OpenRouter), which is what makes the OpenAI SDK raise:
 * its stream helpers take response.failed for one more event.
 */
function failed(message: string, code: string, withFailed = true): string {
  const response = { id: '', object: 'response', created_at: 0, status: 'failed', error: { code, message }, incomplete_details: null, output: [], usage: null };
  const f = withFailed ? `event: response.failed\ndata: ${JSON.stringify({ type: 'response.failed', response })}\n\n` : '';
  return `${f}event: error\ndata: ${JSON.stringify({ type: 'error', error: { code, message } })}\n\n`;
}

const stream: StreamRules = {
  inBand,
  framing: 'events',
  preamble: set('response.created', 'response.in_progress', 'response.queued'),
  errors: set('error', 'response.error', 'response.failed'),
  done: set('response.completed', 'response.incomplete'),
  trailer: 'data: [DONE]\n\n',
  failEvent: (message, type, code) => failed(message, CODE_OF[String(code)] ?? CODE_OF[type] ?? 'server_error'),
  relayError(block, type, err) {
    // The upstream's own event first; then what makes every client see the failure.
    return Buffer.concat([block, Buffer.from(failed(err.message, 'server_error', type !== 'response.failed'))]);
  },
};

function errorOf(e: unknown): InBandError {
  return { message: errorText(e), status: statusOfError(e), raw: e };
}

function inBand(obj: unknown): InBandError | null {
  if (!isObj(obj)) return null;
  if (obj.type === 'response.failed' && isObj(obj.response)) return errorOf(obj.response.error ?? 'the response failed');
  if (obj.type === 'error') return errorOf(isObj(obj.error) ? obj.error : obj); // nested (docs) or flat (spec)
  if (isObj(obj.error)) return errorOf(obj.error);
  return null;
}

export const responses: Protocol = {
  name: 'responses', route: '/responses', upstreamPath: '/responses', streams: true, passHeaders: [],
  clientKey: (h) => bearerToken(h.authorization),
  errorBody: (code: ErrorCode, message: string) => errorBody(code, message),
  upstreamErrorBody: () => null,
  inBand,
  sse: stream,
};
