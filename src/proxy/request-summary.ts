// What one client request came to, in one place, handed to `ProxyContext.onRequestDone` when the
// request ends, whichever way it ends (the request log and time series build on it).

import type { Protocol } from './protocols/protocol';
import type { AttemptClass } from './proxy-metrics';
import type { Usage } from './usage';

export interface AttemptSummary {
  key_id: string;
  /** success, a failure class, or aborted (the client left or the proxy stopped it). */
  outcome: AttemptClass;
  /** Upstream status (an in-band error's code counts as its status); null for a network error. */
  status: number | null;
  /** Short scrubbed reason of a failure; null on success. */
  reason: string | null;
  ms: number;
}

export type RequestOutcome =
  | 'success' // the upstream's answer reached the client
  | 'caller_error' // the upstream refused the request itself (passed through)
  | 'upstream_error' // every try failed, or a stream broke after its first content
  | 'no_available_keys'
  | 'client_closed'
  | 'shutdown';

export interface RequestSummary {
  /** Start, ms since the epoch (the runtime's clock). */
  at: number;
  /** Client route as registered, e.g. `/v1/messages` or `/api/v1/messages`. */
  route: string;
  protocol: Protocol['name'];
  model: string | null;
  stream: boolean;
  /** Status the client got (499 when it left before any header). */
  status: number;
  outcome: RequestOutcome;
  attempts: AttemptSummary[];
  latency_ms: number;
  /** Until the first byte reached the client; null when none did. */
  ttfb_ms: number | null;
  input_tokens: number | null;
  output_tokens: number | null;
  /** usage.cost (credits = USD) as the upstream reported it. */
  cost: number | null;
  generation_id: string | null;
  client_address: string | null;
}

export type RequestDoneHook = (s: RequestSummary) => void;

/** The usage fields of a summary. */
export function usageFields(u: Usage | null): Pick<RequestSummary, 'input_tokens' | 'output_tokens' | 'cost'> {
  return { input_tokens: u ? u.prompt_tokens : null, output_tokens: u ? u.completion_tokens : null, cost: u?.cost ?? null };
}
