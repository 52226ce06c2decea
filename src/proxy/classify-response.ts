// Turns what the upstream sent (an error status and body, an in-band error, a network error) into the
// UpstreamFailure the failure policy classifies. Every message is scrubbed before it leaves here.

import { STATUS_CODES, type IncomingHttpHeaders } from 'node:http';
import type { UpstreamFailure } from '../domain/failure-policy';
import { isObj, parseJson, type Json } from '../upstream/json';
import { shortReason } from '../upstream/scrub';

export { parseJson };

/** An upstream answer with an error status. `secret` is scrubbed from the message. */
export function failureFromResponse(status: number, headers: IncomingHttpHeaders, body: Buffer, secret: string, now: number): UpstreamFailure {
  const parsed = parseJson(body);
  const err = isObj(parsed) && isObj(parsed.error) ? parsed.error : null;
  const metadata = err && isObj(err.metadata) ? err.metadata : null;
  const availability = err && isObj(err.availability) ? err.availability : null;
  const metaHeaders = metadata && isObj(metadata.headers) ? metadata.headers : null;
  let message = err && typeof err.message === 'string' ? err.message : '';
  // "Provider returned error" says little; the provider's own text (metadata.raw) says what happened.
  if (metadata && typeof metadata.raw === 'string' && metadata.raw.length < 500) message = `${message}: ${metadata.raw}`;
  if (!message) message = body.length > 0 && !isObj(parsed) ? body.toString('utf8', 0, 200) : STATUS_CODES[status] ?? 'error';
  const provider = metadata?.provider_name;
  return {
    status,
    message: shortReason(message, [secret]),
    retryAfterSeconds: parseRetryAfter(header(headers, 'retry-after') ?? headerIn(metaHeaders, 'retry-after') ?? availability?.retry_after, now),
    rateLimitResetMs: parseReset(header(headers, 'x-ratelimit-reset') ?? headerIn(metaHeaders, 'x-ratelimit-reset'), now),
    providerName: typeof provider === 'string' && provider !== '' ? provider : null,
    retryable: typeof availability?.retryable === 'boolean' ? availability.retryable : null,
  };
}

/**
 * An error reported inside a 200 answer (a stream's error chunk, or a JSON body carrying `error`). Its
 * `code` (or Anthropic's error type) stands for the status it would have had, so that an in-band 402
 * or 429 is classified like the status.
 */
export function failureInBand(e: InBandError, secret: string, now = 0): UpstreamFailure {
  const metadata = isObj(e.raw) && isObj(e.raw.metadata) ? e.raw.metadata : null;
  const provider = metadata?.provider_name;
  const metaHeaders = metadata && isObj(metadata.headers) ? metadata.headers : null;
  return {
    status: e.status,
    message: shortReason(`in-band error: ${e.message}`, [secret]),
    retryAfterSeconds: parseRetryAfter(headerIn(metaHeaders, 'retry-after') ?? metadata?.retry_after_seconds, now),
    rateLimitResetMs: parseReset(headerIn(metaHeaders, 'x-ratelimit-reset'), now),
    providerName: typeof provider === 'string' && provider !== '' ? provider : null,
    retryable: null,
  };
}

/** An in-band error as read from the answer: its text, the status it stands for, the error object. */
export interface InBandError { message: string; status: number | null; raw: unknown }

/** Anthropic's error types and Responses' string codes, as the status each stands for. */
const STATUS_OF: Record<string, number> = {
  invalid_request_error: 400, authentication_error: 401, billing_error: 402, permission_error: 403,
  not_found_error: 404, request_too_large: 413, rate_limit_error: 429, api_error: 500, timeout_error: 504,
  overloaded_error: 529, invalid_prompt: 400, rate_limit_exceeded: 429, server_error: 500,
  image_content_policy_violation: 400, payment_required: 402,
};

/** The status an error object stands for: a numeric `code`, or a known string code or type. */
export function statusOfError(e: unknown): number | null {
  if (!isObj(e)) return null;
  const code = e.code;
  if (typeof code === 'number' && code >= 400 && code < 600) return code;
  if (typeof code === 'string' && /^[45]\d\d$/.test(code)) return Number(code);
  if (typeof code === 'string' && STATUS_OF[code] !== undefined) return STATUS_OF[code];
  if (typeof e.type === 'string' && STATUS_OF[e.type] !== undefined) return STATUS_OF[e.type];
  return null;
}

/** The error object inside an in-band error answer (chat's shapes), or null. */
export function chatInBand(obj: unknown): InBandError | null {
  if (!isObj(obj)) return null;
  if (obj.error) return { message: errorText(obj.error), status: statusOfError(obj.error), raw: obj.error };
  const choices = obj.choices;
  if (Array.isArray(choices) && isObj(choices[0]) && choices[0].finish_reason === 'error') {
    const e = choices[0].error;
    return e
      ? { message: errorText(e), status: statusOfError(e), raw: e }
      : { message: 'the upstream ended the answer with finish_reason "error"', status: null, raw: null };
  }
  return null;
}

/** No answer: connect error, reset, timeout, a cut stream. */
export function failureFromNetwork(message: string): UpstreamFailure {
  return { status: null, message: shortReason(message), retryAfterSeconds: null, rateLimitResetMs: null, providerName: null, retryable: null };
}

/** The message of an in-band error object, or null when `obj` reports none. */
export function inBandError(obj: unknown): string | null {
  return chatInBand(obj)?.message ?? null;
}

export function errorText(e: unknown): string {
  if (typeof e === 'string') return e;
  if (!isObj(e)) return 'upstream error';
  const code = e.code !== undefined && e.code !== null ? ` (code ${String(e.code)})` : '';
  return `${typeof e.message === 'string' ? e.message : 'upstream error'}${code}`;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function headerIn(obj: Json | null | undefined, lowerName: string): unknown {
  if (!obj) return undefined;
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lowerName) return obj[k];
  return undefined;
}

/** Retry-After: seconds, or an HTTP date. */
export function parseRetryAfter(v: unknown, now: number): number | null {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : null;
  if (typeof v !== 'string' || v.trim() === '') return null;
  const t = v.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const date = Date.parse(t);
  return Number.isNaN(date) ? null : Math.max(0, (date - now) / 1000);
}

/** X-RateLimit-Reset: ms since the epoch per the wire doc; seconds since the epoch and a delta in seconds are accepted too. */
export function parseReset(v: unknown, now: number): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n) || n <= 0) return null;
  if (n >= 1e11) return Math.round(n); // ms since the epoch
  if (n >= 1e9) return Math.round(n * 1000); // seconds since the epoch
  return Math.round(now + n * 1000); // seconds from now
}
