/**
 * Scenarios for the mock OpenRouter upstream: how a request authenticated by a given key is answered.
 * Bodies and headers follow the OpenRouter wire notes, openrouter-wire.md (§1 streaming, §2 errors, §3 limits).
 *
 * A scenario applies to the inference endpoints (POST /chat/completions, /completions, /embeddings).
 * GET /key and GET /models are driven by `keyInfo(...)` and `failModels` on the mock instead.
 */

/** Normal answer. Streams when the request body has `stream: true`; tool calls when it has `tools`. */
export interface OkScenario {
  kind: 'ok';
  /** Content pieces, one per SSE chunk; joined for non-streaming answers. Default: mock-wide `chunks`. */
  chunks?: string[];
  /** Delay before each content chunk when streaming. Default: mock-wide `chunkDelayMs` (0). */
  chunkDelayMs?: number;
  /** `: OPENROUTER PROCESSING` comment lines before the first data line. Default 2. */
  comments?: number;
  /** Arguments string of the tool call answered when the request has `tools`. */
  toolArguments?: string;
  /** Pieces `toolArguments` is split into when streaming. Default: split into 4 fragments. */
  toolArgumentChunks?: string[];
}

/** An HTTP error (or any status) answered before any stream starts. */
export interface StatusScenario {
  kind: 'status';
  status: number;
  headers?: Record<string, string>;
  /** Object → JSON; string → sent as is. Default: `{error:{code,message}}` with the status text. */
  body?: unknown;
}

/** Role chunk, one content chunk, then the in-band error chunk (finish_reason "error"), no [DONE].
 *  Non-streaming requests get HTTP 200 carrying `choices[0].error` and finish_reason "error". */
export interface MidStreamErrorScenario {
  kind: 'midStreamError';
  code?: number;
  message?: string;
  metadata?: Record<string, unknown>;
  chunkDelayMs?: number;
}

/** Role chunk + first content chunk, then the mock destroys the socket (not counted as a client abort).
 *  Non-streaming: headers with the full Content-Length, half the body, then destroy. */
export interface CutAfterFirstChunkScenario {
  kind: 'cutAfterFirstChunk';
}

/** Waits `delayMs` before sending anything (headers included), then answers as `then` (default ok). */
export interface SlowFirstByteScenario {
  kind: 'slowFirstByte';
  delayMs: number;
  then?: Scenario;
}

/** Sends 200 headers and the first data chunk (the role chunk; half the JSON when not streaming),
 *  then nothing more; keeps the socket open until the client leaves. */
export interface StallScenario {
  kind: 'stall';
}

/** Reads the request and never answers, until the client disconnects. */
export interface HangScenario {
  kind: 'hang';
}

export type Scenario =
  | OkScenario
  | StatusScenario
  | MidStreamErrorScenario
  | CutAfterFirstChunkScenario
  | SlowFirstByteScenario
  | StallScenario
  | HangScenario;

export type ScenarioKind = Scenario['kind'];

/** What GET /key answers for a key. Default: 200 with no limit, or 401 when the key's scenario is a 401. */
export interface KeyInfo {
  status?: 200 | 401 | number;
  limit?: number | null;
  limit_remaining?: number | null;
  limit_reset?: 'daily' | 'weekly' | 'monthly' | null;
  usage?: number;
  is_free_tier?: boolean;
  /** Delay before answering the probe. */
  delayMs?: number;
}

const now = (): number => Date.now();

/** Next UTC midnight in ms since epoch (when OpenRouter's daily caps reset). */
export function nextUtcMidnightMs(from = now()): number {
  const d = new Date(from);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
}

function rateLimitHeaders(limit: number, remaining: number, resetMs: number): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(limit),
    'X-RateLimit-Remaining': String(remaining),
    'X-RateLimit-Reset': String(resetMs),
  };
}

function error(status: number, message: string, metadata?: Record<string, unknown>, headers?: Record<string, string>, userId = true): StatusScenario {
  const err: Record<string, unknown> = { code: status, message };
  if (metadata) err.metadata = metadata;
  const body: Record<string, unknown> = { error: err };
  if (userId) body.user_id = 'user_2mockmockmockmockmockmock';
  return { kind: 'status', status, body, ...(headers ? { headers } : {}) };
}

/** Ready-made scenarios with the real bodies from the wire doc. */
export const scenarios = {
  ok: (opts: Omit<OkScenario, 'kind'> = {}): OkScenario => ({ kind: 'ok', ...opts }),
  status: (status: number, body?: unknown, headers?: Record<string, string>): StatusScenario => ({ kind: 'status', status, body, headers }),
  midStreamError: (opts: Omit<MidStreamErrorScenario, 'kind'> = {}): MidStreamErrorScenario => ({ kind: 'midStreamError', ...opts }),
  cutAfterFirstChunk: (): CutAfterFirstChunkScenario => ({ kind: 'cutAfterFirstChunk' }),
  slowFirstByte: (delayMs: number, then?: Scenario): SlowFirstByteScenario => ({ kind: 'slowFirstByte', delayMs, then }),
  stall: (): StallScenario => ({ kind: 'stall' }),
  hang: (): HangScenario => ({ kind: 'hang' }),

  /** 401 with no or empty bearer. */
  noAuth: (): StatusScenario => error(401, 'No auth credentials found', undefined, undefined, false),
  /** 401 unknown, disabled or deleted key (credential class). */
  userNotFound: (): StatusScenario => error(401, 'User not found.', undefined, undefined, false),
  /** 402 insufficient credits (quota class); metadata.provider_name is null. */
  noCredits: (requested = 65536, affordable = 3395): StatusScenario =>
    error(402, `This request requires more credits, or fewer max_tokens. You requested up to ${requested} tokens, but can only afford ${affordable}. To increase, visit https://openrouter.ai/settings/credits and upgrade to a paid account`, { provider_name: null }),
  /** 403 per-key spend cap (credential class). */
  keyLimitExceeded: (which: 'total' | 'monthly' | 'daily' = 'daily'): StatusScenario =>
    error(403, `Key limit exceeded (${which} limit). Manage it using https://openrouter.ai/settings/keys`),
  /** 403 moderation (caller fault): provider_name is set. */
  moderation: (model = 'openai/gpt-4o-mini', reasons: string[] = ['violence'], provider = 'OpenAI'): StatusScenario =>
    error(403, `${model} requires moderation on ${provider}. Your input was flagged for "${reasons.join('", "')}". No credits were charged.`, {
      reasons, flagged_input: 'How do I ...[truncated]', provider_name: provider, model_slug: model,
    }),
  /** 429 platform rate limit with Retry-After (seconds) and X-RateLimit-* (reset in ms), copied into metadata.headers. */
  rateLimited: (opts: { retryAfterSec?: number; limit?: number; remaining?: number; resetMs?: number; message?: string } = {}): StatusScenario => {
    const retryAfter = opts.retryAfterSec ?? 1;
    const rl = rateLimitHeaders(opts.limit ?? 20, opts.remaining ?? 0, opts.resetMs ?? now() + retryAfter * 1000);
    return error(429, opts.message ?? 'Rate limit exceeded: limit_rpm/openai/gpt-4o-mini/0b6f5c1e-mock. High demand for openai/gpt-4o-mini on OpenRouter - limited to 8 requests per minute',
      { headers: rl, provider_name: null, limit_source: 'openrouter_shared_capacity' }, { 'Retry-After': String(retryAfter), ...rl });
  },
  /** 429 about the key itself (no model, no provider, not the free tier), with Retry-After and X-RateLimit-*. */
  keyRateLimited: (opts: { retryAfterSec?: number; limit?: number; resetMs?: number } = {}): StatusScenario => {
    const retryAfter = opts.retryAfterSec ?? 1;
    const rl = rateLimitHeaders(opts.limit ?? 20, 0, opts.resetMs ?? now() + retryAfter * 1000);
    return error(429, 'Rate limit exceeded', { headers: rl, provider_name: null }, { 'Retry-After': String(retryAfter), ...rl });
  },
  /** 429 naming no reset at all (the key cools by the dynamic cooldown). */
  rateLimitedNoReset: (): StatusScenario => error(429, 'Rate limit exceeded', { provider_name: null }),
  /** 429 daily :free quota exhausted (quota class) until X-RateLimit-Reset (ms; default next UTC midnight). */
  freeModelsPerDay: (opts: { limit?: 50 | 1000; resetMs?: number } = {}): StatusScenario => {
    const limit = opts.limit ?? 50;
    const rl = rateLimitHeaders(limit, 0, opts.resetMs ?? nextUtcMidnightMs());
    const msg = limit === 50
      ? 'Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day'
      : 'Rate limit exceeded: free-models-per-day-high-balance';
    return error(429, msg, { headers: rl, provider_name: null, limit_source: 'openrouter_free_tier_daily' }, rl);
  },
  /** 429 the 20 RPM :free limit (transient). */
  freeModelsPerMin: (resetMs = now() + 60_000, limit = 20): StatusScenario => {
    const rl = rateLimitHeaders(limit, 0, resetMs);
    return error(429, 'Rate limit exceeded: free-models-per-min. ', { headers: rl, provider_name: null, limit_source: 'openrouter_free_tier_rpm' }, rl);
  },
  /** 429 from the upstream provider (transient); no X-RateLimit-* headers. */
  upstreamRateLimited: (provider = 'MockProvider'): StatusScenario =>
    error(429, 'Provider returned error', {
      raw: 'openai/gpt-4o-mini is temporarily rate-limited upstream. Please retry shortly.',
      provider_name: provider, is_byok: false, limit_source: 'upstream_provider_shared_pool',
    }),
  /** 400 bad model id (caller fault). */
  badModel: (model = 'nope/not-a-model'): StatusScenario => error(400, `${model} is not a valid model ID`, undefined, undefined, false),
  /** 404 no endpoints (caller fault / account settings). */
  noEndpoints: (): StatusScenario =>
    error(404, 'No endpoints found that support tool use. To learn more about provider routing, visit: https://openrouter.ai/docs/guides/routing/provider-selection'),
  /** 503 provider overloaded (transient), optional Retry-After. */
  overloaded: (retryAfterSec?: number): StatusScenario =>
    error(503, 'Provider returned error', {
      raw: '{"error":{"message":"The server is overloaded","type":"temporarily_unavailable"}}',
      provider_name: 'MockProvider', is_byok: false,
    }, retryAfterSec === undefined ? undefined : { 'Retry-After': String(retryAfterSec) }),
  /** 500 internal error, masked message (transient). */
  serverError: (): StatusScenario => error(500, 'Internal Server Error', { error_type: 'server' }, undefined, false),
};
