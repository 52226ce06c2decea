// Anthropic Messages (`/v1/messages`: Claude Code, the Anthropic SDK). The key comes as `x-api-key`
// or Bearer; errors use Anthropic's body; a stream is typed events ending with `message_stop`, and
// OpenRouter's trailing `event: data` / `data: [DONE]` pair (which makes the Anthropic SDK throw) is
// dropped. Usage and cost are in the final `message_delta`.

import { ERRORS, type ErrorCode } from '../../http/errors';
import { isObj, parseJson } from '../../upstream/json';
import { errorText, statusOfError, type InBandError } from '../classify-response';
import { bearerToken, set, type Protocol, type StreamRules } from './protocol';

/** Anthropic's error type for a status. */
export function anthropicType(status: number): string {
  switch (status) {
    case 400: case 415: case 422: return 'invalid_request_error';
    case 401: return 'authentication_error';
    case 402: return 'billing_error';
    case 403: return 'permission_error';
    case 404: return 'not_found_error';
    case 413: return 'request_too_large';
    case 429: return 'rate_limit_error';
    case 504: return 'timeout_error';
    case 529: return 'overloaded_error';
    default: return status >= 400 && status < 500 ? 'invalid_request_error' : 'api_error';
  }
}

const TYPE_OF_CODE: Record<string, string> = { upstream_timeout: 'timeout_error', rate_limited: 'rate_limit_error' };

export function anthropicError(type: string, message: string): { type: 'error'; error: { type: string; message: string } } {
  return { type: 'error', error: { type, message } };
}

const EVENT_ERROR = Buffer.from('event: error\n');

const stream: StreamRules = {
  inBand,
  framing: 'events',
  preamble: set('message_start', 'ping'),
  errors: set('error'),
  done: set('message_stop'),
  trailer: '',
  failEvent(message, type, code) {
    const t = typeof code === 'string' && TYPE_OF_CODE[code] ? TYPE_OF_CODE[code]
      : type === 'invalid_request_error' || type === 'rate_limit_error' ? type : 'api_error';
    return `event: error\ndata: ${JSON.stringify(anthropicError(t, message))}\n\n`;
  },
  relayError(block) {
    // The SDK raises only on an event named `error`; a data-only error would be skipped silently.
    if (block.indexOf(EVENT_ERROR) === 0) return block;
    const lines = block.toString('utf8').split('\n').filter((l) => !l.startsWith('event:'));
    return Buffer.from(`event: error\n${lines.join('\n')}`);
  },
};

function inBand(obj: unknown): InBandError | null {
  if (!isObj(obj) || !isObj(obj.error)) return null;
  return { message: errorText(obj.error), status: statusOfError(obj.error), raw: obj.error };
}

export const messages: Protocol = {
  name: 'messages', route: '/messages', upstreamPath: '/messages', streams: true,
  passHeaders: ['anthropic-version', 'anthropic-beta'],
  clientKey: (h) => {
    const x = h['x-api-key'];
    return typeof x === 'string' && x !== '' ? x : bearerToken(h.authorization);
  },
  errorBody: (code: ErrorCode, message: string) => anthropicError(TYPE_OF_CODE[code] ?? anthropicType(ERRORS[code].status), message),
  upstreamErrorBody(status, body, message) {
    const obj = parseJson(body);
    if (isObj(obj) && obj.type === 'error' && isObj(obj.error)) return null; // already Anthropic's shape
    return anthropicError(anthropicType(status), message);
  },
  inBand,
  sse: stream,
};
