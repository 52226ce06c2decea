// A wire protocol the proxy serves (DESIGN.md "Protocols"): what differs between chat completions,
// Anthropic Messages and OpenAI Responses. Everything else (pick, classify, failover, relay, abort,
// metrics, the request summary) is shared by the exchange and does not know which protocol it runs.

import type { IncomingHttpHeaders } from 'node:http';
import type { ErrorCode } from '../../http/errors';
import type { InBandError } from '../classify-response';

/** How a protocol's SSE stream is framed and ends (see sse-relay.ts). */
export interface StreamRules {
  /**
   * 'lines': OpenAI chat framing, data lines only, relayed line by line, `data: [DONE]` ends it.
   * 'events': typed events (`event:` lines and/or `{"type":…}` data), relayed event by event.
   */
  readonly framing: 'lines' | 'events';
  /** Event types held back until the first content event (so that a failing key still fails over). */
  readonly preamble: ReadonlySet<string>;
  /** Event types that report an error. */
  readonly errors: ReadonlySet<string>;
  /** Event types after which the answer is complete. */
  readonly done: ReadonlySet<string>;
  /** Written after the last event of a complete stream (the upstream's own `[DONE]` is dropped). */
  readonly trailer: string;
  /** The stream's error event for a failure the proxy reports (the SDK raises on it). */
  failEvent(message: string, type: string, code: string | number): string;
  /** The error one parsed error event carries, or null. */
  inBand(obj: unknown): InBandError | null;
  /** How the upstream's own error event `block` reaches the client (raw bytes of one event). */
  relayError(block: Buffer, type: string, err: InBandError): Buffer;
}

export interface Protocol {
  readonly name: 'chat' | 'completions' | 'embeddings' | 'messages' | 'responses';
  /** Client routes below `/v1` (and `/api/v1`), e.g. `/messages`. */
  readonly route: string;
  /** Upstream path below OPENROUTER_BASE_URL. */
  readonly upstreamPath: string;
  readonly streams: boolean;
  /** Client request headers passed upstream as they are. */
  readonly passHeaders: readonly string[];
  /** The credential the client sent (checked against APP_API_KEY). */
  clientKey(headers: IncomingHttpHeaders): string | undefined;
  /** The proxy's own error body for this protocol's clients. */
  errorBody(code: ErrorCode, message: string): unknown;
  /** An upstream error answer (status ≠ 200) as this protocol's clients expect it; null: as it came. */
  upstreamErrorBody(status: number, body: Buffer, message: string): unknown | null;
  /** The error a 200 answer (JSON body or one stream event, parsed) carries, or null. */
  inBand(obj: unknown): InBandError | null;
  readonly sse: StreamRules;
}

const BEARER = /^\s*bearer\s+(\S+)\s*$/i;

export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = BEARER.exec(header);
  return m ? m[1] : undefined;
}

export const set = (...xs: string[]): ReadonlySet<string> => new Set(xs);
