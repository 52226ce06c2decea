/**
 * Response shapes of the mock OpenRouter upstream, as OpenRouter really sends them
 * (the OpenRouter wire notes, openrouter-wire.md §1, §4, §5, §6). Pure builders: no I/O.
 */
import { createHash, randomInt } from 'node:crypto';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function alnum(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALNUM[randomInt(ALNUM.length)];
  return s;
}

export const unixNow = (): number => Math.floor(Date.now() / 1000);

/** `gen-<unix>-<20 alphanumerics>`. */
export function genId(created = unixNow()): string {
  return `gen-${created}-${alnum(20)}`;
}

export function toolCallId(): string {
  return `call_${alnum(24)}`;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cost: number;
  is_byok: boolean;
  prompt_tokens_details: { cached_tokens: number; audio_tokens: number };
  completion_tokens_details: { reasoning_tokens: number; image_tokens: number };
  cost_details: { upstream_inference_cost: number | null; upstream_inference_prompt_cost: number; upstream_inference_completions_cost: number };
}

/** Deterministic usage: prompt tokens ≈ raw body length / 4, completion tokens = `completion`. */
export function usage(rawBody: string, completion: number): Usage {
  const prompt = Math.max(1, Math.ceil(rawBody.length / 4));
  const promptCost = Number((prompt * 1.5e-7).toFixed(9));
  const completionCost = Number((completion * 6e-7).toFixed(9));
  const cost = Number((promptCost + completionCost).toFixed(9));
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    cost,
    is_byok: false,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, image_tokens: 0 },
    cost_details: { upstream_inference_cost: null, upstream_inference_prompt_cost: promptCost, upstream_inference_completions_cost: completionCost },
  };
}

/** Identity shared by every chunk of one generation. */
export interface Gen {
  id: string;
  created: number;
  model: string;
  provider: string;
}

export function newGen(model: string, provider: string): Gen {
  const created = unixNow();
  return { id: genId(created), created, model, provider };
}

export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

export function chatCompletion(g: Gen, content: string, u: Usage, tool?: ToolCall): Record<string, unknown> {
  const message: Record<string, unknown> = { role: 'assistant', content: tool ? '' : content, refusal: null, reasoning: null };
  if (tool) message.tool_calls = [{ index: 0, id: tool.id, type: 'function', function: { name: tool.name, arguments: tool.arguments } }];
  const finish = tool ? 'tool_calls' : 'stop';
  return {
    id: g.id, provider: g.provider, model: g.model, object: 'chat.completion', created: g.created,
    choices: [{ index: 0, logprobs: null, finish_reason: finish, native_finish_reason: finish, message }],
    system_fingerprint: null,
    usage: u,
  };
}

export function textCompletion(g: Gen, text: string, u: Usage): Record<string, unknown> {
  return {
    id: g.id, provider: g.provider, model: g.model, object: 'text_completion', created: g.created,
    choices: [{ index: 0, text, finish_reason: 'stop', native_finish_reason: 'stop', logprobs: null }],
    system_fingerprint: null,
    usage: u,
  };
}

/** One chat streaming chunk; `choice` is merged into the first choice (delta, finish_reason…). */
export function chunk(g: Gen, choice: Record<string, unknown> | null, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const choices = choice ? [{ index: 0, delta: {}, finish_reason: null, native_finish_reason: null, logprobs: null, ...choice }] : [];
  // Streamed chunks carry the provider's fingerprint as a string (wire doc §1); @openrouter/sdk's schema requires it.
  return { id: g.id, provider: g.provider, model: g.model, object: 'chat.completion.chunk', created: g.created, choices, system_fingerprint: 'fp_mock0000', ...extra };
}

/** Legacy /completions streaming chunk (choices carry `text`), per the third-party mock quoted in §6. */
export function textChunk(g: Gen, text: string, finish: string | null): Record<string, unknown> {
  return chunk(g, { text, finish_reason: finish, native_finish_reason: finish });
}

/** The documented in-band error chunk: top-level `error` and finish_reason "error". */
export function errorChunk(g: Gen, code: number, message: string, metadata: Record<string, unknown>): Record<string, unknown> {
  return chunk(g, { delta: { content: '' }, finish_reason: 'error', native_finish_reason: 'error' }, { error: { code, message, metadata } });
}

export const sse = (obj: unknown): string => `data: ${JSON.stringify(obj)}\n\n`;
export const SSE_COMMENT = ': OPENROUTER PROCESSING\n\n';
export const SSE_DONE = 'data: [DONE]\n\n';

/** Splits `s` into `n` roughly equal non-empty pieces. */
export function split(s: string, n: number): string[] {
  if (s.length === 0) return [''];
  const size = Math.ceil(s.length / Math.max(1, n));
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out;
}

/** Deterministic unit-ish vector from the input text. */
export function embeddingFor(text: string, dims: number): number[] {
  const out: number[] = [];
  let block = createHash('sha256').update(text).digest();
  for (let i = 0; i < dims; i++) {
    if (i > 0 && i % 16 === 0) block = createHash('sha256').update(block).digest();
    const v = block.readUInt16BE((i % 16) * 2) / 65535;
    out.push(Number((v * 2 - 1).toFixed(6)));
  }
  return out;
}

export function embeddings(model: string, provider: string, inputs: string[], dims: number, rawBody: string): Record<string, unknown> {
  const u = usage(rawBody, 0);
  return {
    id: `embd-${unixNow()}-${alnum(20)}`,
    object: 'list',
    data: inputs.map((text, index) => ({ object: 'embedding', embedding: embeddingFor(text, dims), index })),
    model,
    provider,
    usage: { prompt_tokens: u.prompt_tokens, total_tokens: u.prompt_tokens, cost: u.cost },
  };
}

/** GET /key body (`{data:{…}}`). */
export function keyInfoBody(key: string, info: { limit?: number | null; limit_remaining?: number | null; limit_reset?: string | null; usage?: number; is_free_tier?: boolean }): Record<string, unknown> {
  const used = info.usage ?? 0;
  return {
    data: {
      label: key.length > 14 ? `${key.slice(0, 11)}...${key.slice(-3)}` : key,
      limit: info.limit ?? null,
      limit_remaining: info.limit_remaining ?? null,
      limit_reset: info.limit_reset ?? null,
      include_byok_in_limit: false,
      usage: used, usage_daily: used, usage_weekly: used, usage_monthly: used,
      byok_usage: 0, byok_usage_daily: 0, byok_usage_weekly: 0, byok_usage_monthly: 0,
      is_free_tier: info.is_free_tier ?? false,
      is_management_key: false,
      is_provisioning_key: false,
      creator_user_id: 'user_2mockmockmockmockmockmock',
      expires_at: null,
      rate_limit: { requests: -1, interval: '10s', note: 'This field is deprecated and safe to ignore.' },
    },
  };
}

function model(id: string, name: string, created: number, ctx: number, maxOut: number, prompt: string, completion: string, params: string[], moderated: boolean): Record<string, unknown> {
  return {
    id,
    canonical_slug: id.replace(/:free$/, ''),
    hugging_face_id: '',
    name,
    created,
    description: `${name} (mock).`,
    context_length: ctx,
    architecture: { modality: 'text->text', input_modalities: ['text'], output_modalities: ['text'], tokenizer: 'Other', instruct_type: null },
    pricing: { prompt, completion, request: '0', image: '0', web_search: '0', internal_reasoning: '0', input_cache_read: '0', input_cache_write: '0' },
    top_provider: { context_length: ctx, max_completion_tokens: maxOut, is_moderated: moderated },
    per_request_limits: null,
    supported_parameters: params,
    default_parameters: { temperature: null, top_p: null, frequency_penalty: null },
    supported_voices: null,
    links: { details: `/api/v1/models/${id.replace(/:free$/, '')}/endpoints` },
  };
}

const COMMON_PARAMS = ['max_tokens', 'temperature', 'top_p', 'stop', 'frequency_penalty', 'presence_penalty', 'seed', 'response_format'];

/** GET /models items: real field set, no `object` fields (OpenRouter sends none). */
export function defaultModels(): Record<string, unknown>[] {
  return [
    model('openai/gpt-4o-mini', 'OpenAI: GPT-4o-mini', 1721260800, 128000, 16384, '0.00000015', '0.0000006', [...COMMON_PARAMS, 'tools', 'tool_choice', 'logprobs'], true),
    model('anthropic/claude-3.5-sonnet', 'Anthropic: Claude 3.5 Sonnet', 1729555200, 200000, 8192, '0.000003', '0.000015', [...COMMON_PARAMS, 'tools', 'tool_choice', 'top_k'], true),
    model('meta-llama/llama-3.3-70b-instruct:free', 'Meta: Llama 3.3 70B Instruct (free)', 1733506137, 131072, 2048, '0', '0', [...COMMON_PARAMS, 'top_k', 'min_p', 'repetition_penalty'], false),
    model('google/gemini-2.0-flash-001', 'Google: Gemini 2.0 Flash', 1738769413, 1048576, 8192, '0.0000001', '0.0000004', [...COMMON_PARAMS, 'tools', 'tool_choice'], false),
  ];
}
