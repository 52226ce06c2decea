// JSON helpers shared by the proxy, the models cache and the health probes: tolerant parsing and
// the object check every reader of upstream answers needs.

export type Json = Record<string, unknown>;

export const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The parsed value, or undefined when `body` is not JSON. */
export function parseJson(body: Buffer | string): unknown {
  try { return JSON.parse(typeof body === 'string' ? body : body.toString('utf8')); } catch { return undefined; }
}
