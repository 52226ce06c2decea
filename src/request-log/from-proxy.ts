// The request log's row from the proxy's request summary (src/proxy/request-summary.ts): the proxy
// says how the request ended in its own words; the log names outcomes as docs/api.md does (ok, caller,
// credential, quota, rate_limit, transient, no_key, client_abort), and a request that every key
// failed is named by the class of the last failure, so "rate limited" and "key rejected" stay apart.

import type { AttemptClass } from '../proxy/proxy-metrics';
import type { RequestSummary as ProxySummary } from '../proxy/request-summary';
import type { KeyTried, RequestOutcome, RequestSummary } from './entry';

function attemptOutcome(c: AttemptClass, ended: ProxySummary['outcome']): RequestOutcome {
  if (c === 'success') return 'ok';
  if (c === 'aborted') return ended === 'shutdown' ? 'transient' : 'client_abort';
  return c;
}

export function fromProxySummary(s: ProxySummary, defaultModel: string): RequestSummary {
  const tried: KeyTried[] = s.attempts.map((a) => ({ id: a.key_id, outcome: attemptOutcome(a.outcome, s.outcome) }));
  const last = tried.at(-1) ?? null;
  let outcome: RequestOutcome;
  switch (s.outcome) {
    case 'success': outcome = 'ok'; break;
    case 'caller_error': outcome = 'caller'; break;
    case 'no_available_keys': outcome = 'no_key'; break;
    case 'client_closed': outcome = 'client_abort'; break;
    // Not the upstream's doing, but like an outage for the client: worth a retry elsewhere.
    case 'shutdown': outcome = 'transient'; break;
    default: outcome = last && last.outcome !== 'ok' && last.outcome !== 'client_abort' ? last.outcome : 'transient';
  }
  return {
    at: s.at, route: s.route, model: s.model ?? defaultModel, stream: s.stream, status: s.status, outcome,
    attempts: tried.length, key_id: last?.id ?? null, keys_tried: tried, latency_ms: s.latency_ms, ttfb_ms: s.ttfb_ms,
    input_tokens: s.input_tokens ?? 0, output_tokens: s.output_tokens ?? 0, cost: s.cost, client: s.client_address ?? '',
  };
}
