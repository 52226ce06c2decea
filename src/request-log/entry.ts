// One row of the request log (DESIGN.md "What the operator sees"), as the request log names it; it is
// made from the proxy's request summary (from-proxy.ts) when the request ends, however it ends.

export const REQUEST_OUTCOMES = ['ok', 'caller', 'credential', 'quota', 'rate_limit', 'transient', 'no_key', 'client_abort'] as const;
export type RequestOutcome = (typeof REQUEST_OUTCOMES)[number];

export interface KeyTried { id: string; outcome: RequestOutcome }

/** One row of the request log before it is stored. */
export interface RequestSummary {
  at: number; // ms since epoch, when the request arrived
  route: string;
  model: string;
  stream: boolean;
  status: number;
  outcome: RequestOutcome;
  attempts: number;
  key_id: string | null;
  keys_tried: KeyTried[];
  latency_ms: number;
  ttfb_ms: number | null;
  input_tokens: number;
  output_tokens: number;
  cost: number | null;
  client: string;
}
