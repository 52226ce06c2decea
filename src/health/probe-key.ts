// One health probe: GET {base}/key with the key (free; no model runs). 200 with limit_remaining null
// or above 0 brings an inactive key back; 401 deactivates a key that is still active; every result
// is a KeyProbed event in the history.

import { decideProbeResult } from '../domain/decide-key';
import type { KeyProbedData } from '../events/types';
import { isObj, parseJson } from '../upstream/json';
import { shortReason } from '../upstream/scrub';
import { upstreamFor } from '../upstream/pool';
import type { Runtime } from '../runtime';

export interface ProbeResult extends KeyProbedData { reactivated: boolean; deactivated: boolean }


/**
 * Probes key `id` now and records the result (admin "check now" and the scheduler). Resolves null
 * when the key does not exist, or when `signal` aborted the probe (shutdown: nothing is recorded).
 */
export async function probeKey(rt: Runtime, id: string, signal?: AbortSignal, askedByAdmin = false): Promise<ProbeResult | null> {
  if (!rt.projection.state.keys[id]) return null;
  const secret = rt.secrets.get(id);
  const seen = secret === undefined
    ? { ok: false, status: null, detail: 'the key secret is not loaded on this process yet' }
    : await ask(rt, secret, signal);
  if (signal?.aborted) return null;
  const key = rt.projection.state.keys[id];
  if (!key) return null; // deleted while the probe ran
  const now = rt.projection.now();
  const { events, reactivated, deactivated } = decideProbeResult(key, seen, now, askedByAdmin);
  for (const e of events) rt.projection.record(e);
  return { ...seen, reactivated, deactivated };
}

async function ask(rt: Runtime, secret: string, signal: AbortSignal | undefined): Promise<KeyProbedData> {
  const up = upstreamFor(rt);
  const ms = rt.config.healthCheckTimeoutSeconds * 1000;
  const timeout = AbortSignal.timeout(ms);
  try {
    const res = await up.pool.request({
      path: up.path('/key'), method: 'GET', headers: up.getHeaders(secret), headersTimeout: ms, bodyTimeout: ms,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    const body = parseJson(await res.body.text());
    return judge(res.statusCode, body, secret);
  } catch (err) {
    const e = err as { name?: string; code?: string };
    const detail = timeout.aborted ? `no answer within ${rt.config.healthCheckTimeoutSeconds} s` : `connection error (${e.code ?? e.name ?? 'unknown'})`;
    return { ok: false, status: null, detail };
  }
}

/** What a GET /key answer says about the key. */
export function judge(status: number, body: unknown, secret = ''): KeyProbedData {
  const err = isObj(body) && isObj(body.error) ? body.error : null;
  if (status !== 200) {
    const message = err && typeof err.message === 'string' ? err.message : 'no usable answer';
    return { ok: false, status, detail: shortReason(`${status} ${message}`, [secret]) };
  }
  const data = isObj(body) && isObj(body.data) ? body.data : null;
  if (!data) return { ok: false, status, detail: 'answer without key data' };
  const remaining = data.limit_remaining;
  if (remaining === null || remaining === undefined) return { ok: true, status, detail: 'key works (no spend limit)' };
  if (typeof remaining === 'number' && remaining > 0) return { ok: true, status, detail: `key works (limit_remaining ${remaining})` };
  return { ok: false, status, detail: `spend limit reached (limit_remaining ${String(remaining)})` };
}
