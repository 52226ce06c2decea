// One health probe: GET {base}/key with the key (free; no model runs). 200 with limit_remaining null
// or above 0 brings an inactive key back; 401 deactivates a key that is still active; every result
// is a KeyProbed event in the history.

import { creditChanged, creditFromKeyInfo, type Credit } from '../domain/credit';
import { decideProbeResult } from '../domain/decide-key';
import type { KeyProbedData, NewEvent } from '../events/types';
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
  const answer = secret === undefined
    ? { seen: { ok: false, status: null, detail: 'the key secret is not loaded on this process yet' }, credit: null }
    : await askKey(rt, secret, signal);
  const seen = answer.seen;
  if (signal?.aborted) return null;
  const key = rt.projection.state.keys[id];
  if (!key) return null; // deleted while the probe ran
  const now = rt.projection.now();
  const { events, reactivated, deactivated } = decideProbeResult(key, seen, now, askedByAdmin);
  // A check shows the key's credit as of now: recorded even when unchanged, so "checked at" is now.
  if (answer.credit) events.splice(1, 0, creditEvent(id, answer.credit, now));
  for (const e of events) rt.projection.record(e);
  return { ...seen, reactivated, deactivated };
}

export function creditEvent(id: string, credit: Credit, now: number): NewEvent {
  return { type: 'KeyCreditChecked', at: now, key_id: id, actor: 'probe', data: credit };
}

/** Asks GET /key for the key's credit and records it when it changed meaningfully (the slow refresh). */
export async function refreshCredit(rt: Runtime, id: string, signal?: AbortSignal): Promise<boolean> {
  const secret = rt.secrets.get(id);
  if (secret === undefined) return false;
  const { credit } = await askKey(rt, secret, signal);
  const key = rt.projection.state.keys[id];
  if (!credit || !key || signal?.aborted) return false;
  const now = rt.projection.now();
  if (!creditChanged(key.credit ?? null, key.credit?.checked_at ?? null, credit, now)) return false;
  rt.projection.record(creditEvent(id, credit, now));
  return true;
}

interface KeyAnswer { seen: KeyProbedData; credit: Credit | null }

async function askKey(rt: Runtime, secret: string, signal: AbortSignal | undefined): Promise<KeyAnswer> {
  const up = upstreamFor(rt);
  const ms = rt.config.healthCheckTimeoutSeconds * 1000;
  const timeout = AbortSignal.timeout(ms);
  try {
    const res = await up.pool.request({
      path: up.path('/key'), method: 'GET', headers: up.getHeaders(secret), headersTimeout: ms, bodyTimeout: ms,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    const body = parseJson(await res.body.text());
    return { seen: judge(res.statusCode, body, secret), credit: res.statusCode === 200 ? creditFromKeyInfo(body) : null };
  } catch (err) {
    const e = err as { name?: string; code?: string };
    const detail = timeout.aborted ? `no answer within ${rt.config.healthCheckTimeoutSeconds} s` : `connection error (${e.code ?? e.name ?? 'unknown'})`;
    return { seen: { ok: false, status: null, detail }, credit: null };
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
