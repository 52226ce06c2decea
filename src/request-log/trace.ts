// What one client request did, collected while the exchange runs and handed over once when it ends
// (DESIGN.md "What the operator sees"). The exchange only calls these few methods; everything that
// stores, pages and charts the summary lives outside src/proxy/.

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

export interface TraceUsage { prompt_tokens: number; completion_tokens: number; cost?: number | null }

export class RequestTrace {
  readonly keys: KeyTried[] = [];
  private readonly t0 = performance.now();
  private firstByte: number | null = null;
  private usage: TraceUsage | null = null;

  constructor(readonly at: number, readonly route: string, readonly model: string, readonly stream: boolean, readonly client: string) {}

  /** A key was tried and this is what it did. */
  tried(id: string, outcome: RequestOutcome): void { this.keys.push({ id, outcome }); }

  /** The answer's first byte went to the client (or, without a relay, the answer arrived). */
  answered(): void { if (this.firstByte === null) this.firstByte = performance.now(); }

  used(u: TraceUsage | null): void { if (u) this.usage = u; }

  /** The summary, once: `status` is what the client got; `outcome` why. */
  end(status: number, outcome: RequestOutcome): RequestSummary {
    const now = performance.now();
    const last = this.keys.length ? this.keys[this.keys.length - 1] : null;
    const u = this.usage;
    return {
      at: this.at, route: this.route, model: this.model, stream: this.stream, status, outcome,
      attempts: this.keys.length, key_id: last?.id ?? null, keys_tried: this.keys,
      latency_ms: Math.round(now - this.t0),
      ttfb_ms: this.firstByte === null ? null : Math.round(this.firstByte - this.t0),
      input_tokens: u?.prompt_tokens ?? 0, output_tokens: u?.completion_tokens ?? 0, cost: u?.cost ?? null,
      client: this.client,
    };
  }
}

/** The model a request names, as it went upstream (a missing or empty one became the default). */
export function requestModel(model: unknown, defaultModel: string): string {
  return typeof model === 'string' && model.trim() !== '' ? model : defaultModel;
}
