// A request-log batch as the writer thread receives it: every number of every row in one Float64Array
// (handed over, not copied) and every distinct string once. A batch's rows repeat the same routes,
// models, outcomes, key ids and clients, so the strings are few; JSON for 500 rows cost the event
// loop ~5 µs per row (BENCHMARKS.md run I), this a fraction of it.

import type { KeyTried, RequestOutcome, RequestSummary } from '../request-log/entry';

export interface EncodedBatch { rows: number; strings: string[]; numbers: Float64Array }

const FIXED = 14; // numbers per row before its tried keys
const NONE = -1; // a null string

export function encodeBatch(batch: readonly RequestSummary[]): EncodedBatch {
  let size = 0;
  for (const s of batch) size += FIXED + 1 + 2 * s.keys_tried.length;
  const n = new Float64Array(size);
  const strings: string[] = [];
  const index = new Map<string, number>();
  const str = (v: string | null): number => {
    if (v === null) return NONE;
    let i = index.get(v);
    if (i === undefined) { i = strings.length; strings.push(v); index.set(v, i); }
    return i;
  };
  let o = 0;
  for (const s of batch) {
    n[o++] = s.at; n[o++] = str(s.route); n[o++] = str(s.model); n[o++] = s.stream ? 1 : 0; n[o++] = s.status;
    n[o++] = str(s.outcome); n[o++] = s.attempts; n[o++] = str(s.key_id); n[o++] = s.latency_ms;
    n[o++] = s.ttfb_ms ?? NaN; n[o++] = s.input_tokens; n[o++] = s.output_tokens; n[o++] = s.cost ?? NaN; n[o++] = str(s.client);
    n[o++] = s.keys_tried.length;
    for (const k of s.keys_tried) { n[o++] = str(k.id); n[o++] = str(k.outcome); }
  }
  return { rows: batch.length, strings, numbers: n };
}

export function decodeBatch(e: EncodedBatch): RequestSummary[] {
  const n = e.numbers;
  const str = (i: number): string | null => (i === NONE ? null : e.strings[i]);
  const num = (v: number): number | null => (Number.isNaN(v) ? null : v);
  const out: RequestSummary[] = new Array(e.rows);
  let o = 0;
  for (let r = 0; r < e.rows; r++) {
    const at = n[o++], route = str(n[o++])!, model = str(n[o++])!, stream = n[o++] === 1, status = n[o++];
    const outcome = str(n[o++]) as RequestOutcome, attempts = n[o++], keyId = str(n[o++]), latency = n[o++];
    const ttfb = num(n[o++]), input = n[o++], output = n[o++], cost = num(n[o++]), client = str(n[o++])!;
    const tried: KeyTried[] = new Array(n[o++]);
    for (let k = 0; k < tried.length; k++) tried[k] = { id: str(n[o++])!, outcome: str(n[o++]) as RequestOutcome };
    out[r] = {
      at, route, model, stream, status, outcome, attempts, key_id: keyId, keys_tried: tried, latency_ms: latency,
      ttfb_ms: ttfb, input_tokens: input, output_tokens: output, cost, client,
    };
  }
  return out;
}
