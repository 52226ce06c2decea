// Request validation for the admin API. Hand-written so every 400 names the field and says what it
// expects ("limit must be an integer from 1 to 100"), in the one error shape.

import { ApiError } from '../http/errors';

export const MAX_PAGE_SIZE = 100;

export function invalid(param: string, message: string): ApiError {
  return new ApiError('invalid_request', message, { param });
}

/** A JSON object body (an empty body counts as `{}`); anything else is a 400. */
export function objectBody(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw invalid('body', 'the body must be a JSON object');
  return body as Record<string, unknown>;
}

export function refuseUnknown(body: Record<string, unknown>, allowed: readonly string[]): void {
  const extra = Object.keys(body).filter((k) => !allowed.includes(k));
  if (extra.length) throw invalid(extra[0], `unknown field ${extra.map((k) => JSON.stringify(k)).join(', ')}; allowed: ${allowed.join(', ')}`);
}

/** An integer from a query string or a JSON value; digits only (no "1e3", "2.0" or " 5"). */
export function intParam(name: string, raw: unknown, min: number, max: number, fallback?: number): number {
  if (raw === undefined && fallback !== undefined) return fallback;
  const range = `an integer from ${min} to ${max}`;
  let n: number;
  if (typeof raw === 'number') n = raw;
  else if (typeof raw === 'string' && /^-?\d{1,15}$/.test(raw)) n = Number(raw);
  else throw invalid(name, raw === undefined ? `${name} is required: ${range}` : `${name} must be ${range}`);
  if (!Number.isInteger(n) || n < min || n > max) throw invalid(name, `${name} must be ${range}`);
  return n;
}

export function pageQuery(query: Record<string, unknown>, defaultLimit: number): { page: number; limit: number } {
  return {
    page: intParam('page', single('page', query.page), 1, 1_000_000_000, 1),
    limit: intParam('limit', single('limit', query.limit), 1, MAX_PAGE_SIZE, defaultLimit),
  };
}

/** A query parameter given once; `?a=1&a=2` is refused rather than guessed. */
export function single(name: string, raw: unknown): string | undefined {
  if (Array.isArray(raw)) throw invalid(name, `${name} is given more than once`);
  return raw === undefined ? undefined : String(raw);
}

export function optionalEnum<T extends string>(name: string, raw: unknown, values: readonly T[]): T | undefined {
  const v = single(name, raw);
  if (v === undefined || v === '') return undefined;
  if (!values.includes(v as T)) throw invalid(name, `${name} must be one of ${values.join(', ')}`);
  return v as T;
}

export function optionalText(name: string, raw: unknown, maxLength: number): string | undefined {
  const v = single(name, raw);
  if (v === undefined || v.trim() === '') return undefined;
  if (v.length > maxLength) throw invalid(name, `${name} must be at most ${maxLength} characters`);
  return v.trim();
}

export function requiredString(name: string, raw: unknown, opts: { maxLength: number; nonEmpty?: boolean }): string {
  if (raw === undefined) throw invalid(name, `${name} is required`);
  if (typeof raw !== 'string') throw invalid(name, `${name} must be a string`);
  if (opts.nonEmpty && raw.trim() === '') throw invalid(name, `${name} must not be empty`);
  if (raw.length > opts.maxLength) throw invalid(name, `${name} must be at most ${opts.maxLength} characters`);
  return raw;
}

export function stringList(name: string, raw: unknown, maxItems: number): string[] {
  if (!Array.isArray(raw)) throw invalid(name, `${name} must be an array of strings`);
  if (raw.length === 0) throw invalid(name, `${name} must not be empty`);
  if (raw.length > maxItems) throw invalid(name, `${name} may hold at most ${maxItems} entries`);
  raw.forEach((v, i) => {
    if (typeof v !== 'string' || v.trim() === '' || v.length > 256) throw invalid(name, `${name}[${i}] must be a non-empty string of at most 256 characters`);
  });
  return (raw as string[]).map((v) => v.trim());
}

export function booleanField(name: string, raw: unknown): boolean {
  if (typeof raw !== 'boolean') throw invalid(name, `${name} must be true or false`);
  return raw;
}
