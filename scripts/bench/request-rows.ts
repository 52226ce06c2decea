// Seeded request summaries spread over the last 7 days, shaped like a busy pool's traffic: shared by the
// request-log benchmarks (reads and writes).

import type { RequestOutcome, RequestSummary } from '../../src/request-log/entry';

export const KEYS = 200;
export const MODELS = ['openai/gpt-4o-mini', 'anthropic/claude-sonnet-4', 'deepseek/deepseek-chat-v3-0324:free', 'google/gemini-2.5-flash',
  'meta-llama/llama-3.3-70b-instruct', 'qwen/qwen3-coder', 'mistralai/mistral-small', 'x-ai/grok-3-mini', 'openai/gpt-4.1', 'moonshotai/kimi-k2'];
export const NOW = Date.now();
const SPAN = 7 * 86_400_000 - 60_000;

export const key = (i: number) => `bench${String(i).padStart(11, '0')}`;

/** Request i of `rows`, at its place in the 7 days. */
export function row(i: number, rnd: () => number, rows: number): RequestSummary {
  const x = rnd();
  // 90 % ok, then transient, rate limits, caller errors, credentials, no key, client aborts.
  const outcome: RequestOutcome = x < 0.9 ? 'ok' : x < 0.95 ? 'transient' : x < 0.97 ? 'rate_limit' : x < 0.98 ? 'caller' : x < 0.99 ? 'credential' : x < 0.995 ? 'no_key' : 'client_abort';
  const status = { ok: 200, transient: 502, rate_limit: 429, caller: 400, credential: 502, quota: 429, no_key: 503, client_abort: 499 }[outcome];
  const tries = outcome === 'no_key' ? 0 : outcome === 'ok' ? (rnd() < 0.9 ? 1 : 2) : 1 + Math.floor(rnd() * 3);
  const tried = Array.from({ length: tries }, (_, t) => ({
    id: key(Math.floor(rnd() * KEYS)), outcome: (t === tries - 1 ? outcome : 'transient') as RequestOutcome,
  }));
  const unique = tried.filter((k, j) => tried.findIndex((o) => o.id === k.id) === j);
  const ok = outcome === 'ok';
  return {
    at: Math.round(NOW - SPAN + (i / rows) * SPAN), route: '/v1/chat/completions', model: MODELS[Math.floor(rnd() * rnd() * MODELS.length)],
    stream: rnd() < 0.6, status, outcome, attempts: unique.length, key_id: unique.at(-1)?.id ?? null, keys_tried: unique,
    latency_ms: Math.round(200 + rnd() * rnd() * 8000), ttfb_ms: ok ? Math.round(100 + rnd() * 900) : null,
    input_tokens: ok ? Math.round(rnd() * 4000) : 0, output_tokens: ok ? Math.round(rnd() * 800) : 0,
    cost: ok ? Math.round(rnd() * 1e5) / 1e8 : null, client: `10.0.${Math.floor(rnd() * 8)}.${Math.floor(rnd() * 250)}`,
  };
}

