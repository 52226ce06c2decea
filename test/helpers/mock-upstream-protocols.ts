/**
 * Answers of the mock OpenRouter upstream on POST /messages (Anthropic Messages "skin") and POST
 * /responses (OpenAI Responses "skin"), as the wire notes openrouter-wire-messages-responses.md
 * describes them: typed events; Messages streams end with `message_stop` and then OpenRouter's extra
 * `event: data` / `data: [DONE]` pair; Responses streams are data-only with `sequence_number`, end
 * with `response.completed` and `data: [DONE]`; the generation id is the message / response id.
 */
import { randomInt } from 'node:crypto';
import type { Gen, Usage } from './mock-upstream-wire';

export type Json = Record<string, unknown>;
export type Proto = 'messages' | 'responses';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const rand = (n: number): string => Array.from({ length: n }, () => ALNUM[randomInt(ALNUM.length)]).join('');

export interface Tool { id: string; name: string; arguments: string }

/** The tool the answer calls, when the request offers tools. */
export function toolOf(proto: Proto, body: Json, args: string): Tool | undefined {
  const tools = body.tools;
  if (!Array.isArray(tools) || tools.length === 0) return undefined;
  if (body.tool_choice === 'none' || (isObj(body.tool_choice) && body.tool_choice.type === 'none')) return undefined;
  const first = tools[0] as Json;
  const name = typeof first?.name === 'string' ? first.name : 'tool';
  return { id: proto === 'messages' ? `toolu_bdrk_${rand(24)}` : `call_${rand(24)}`, name, arguments: args };
}

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------------- Messages

export function messagesUsage(u: Usage, final = true): Json {
  return final
    ? {
      input_tokens: u.prompt_tokens, output_tokens: u.completion_tokens, output_tokens_details: null,
      cache_creation_input_tokens: 0, cache_read_input_tokens: 0, cache_creation: null, inference_geo: null,
      server_tool_use: null, service_tier: null, speed: 'standard', cost: u.cost, is_byok: false,
      cost_details: { upstream_inference_cost: u.cost, upstream_inference_prompt_cost: u.cost_details.upstream_inference_prompt_cost, upstream_inference_completions_cost: u.cost_details.upstream_inference_completions_cost },
    }
    : { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: null, cache_read_input_tokens: null };
}

export function message(g: Gen, text: string, u: Usage, tool?: Tool): Json {
  const content = tool
    ? [{ type: 'tool_use', id: tool.id, name: tool.name, input: JSON.parse(tool.arguments), caller: { type: 'direct' } }]
    : [{ type: 'text', text, citations: [] }];
  return {
    id: g.id, type: 'message', role: 'assistant', container: null, content, model: g.model, provider: g.provider,
    stop_reason: tool ? 'tool_use' : 'end_turn', stop_details: null, stop_sequence: null, usage: messagesUsage(u),
  };
}

const ev = (type: string, data: Json): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

export const messagesEvents = {
  start: (g: Gen): string => ev('message_start', { message: { ...message(g, '', usageZero()), content: [], stop_reason: null, usage: messagesUsage(usageZero(), false) } }),
  textStart: (): string => ev('content_block_start', { index: 0, content_block: { type: 'text', text: '', citations: [] } }),
  text: (t: string): string => ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: t } }),
  toolStart: (t: Tool): string => ev('content_block_start', { index: 0, content_block: { type: 'tool_use', id: t.id, name: t.name, input: {}, caller: { type: 'direct' } } }),
  toolArgs: (frag: string): string => ev('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: frag } }),
  blockStop: (): string => ev('content_block_stop', { index: 0 }),
  delta: (u: Usage, tool: boolean): string => ev('message_delta', {
    delta: { container: null, stop_details: null, stop_reason: tool ? 'tool_use' : 'end_turn', stop_sequence: null },
    usage: messagesUsage(u), context_management: null,
  }),
  stop: (): string => ev('message_stop', {}),
  /** What OpenRouter appends after message_stop (breaks the Anthropic SDK). */
  trailer: 'event: data\ndata: [DONE]\n\n',
  error: (type: string, message: string): string => ev('error', { error: { type, message, error_type: 'provider_error' } }),
};

/** Anthropic's error type for an OpenRouter error code. */
export function anthropicTypeOf(code: number): string {
  return code === 429 ? 'rate_limit_error' : code === 402 ? 'billing_error' : code === 401 ? 'authentication_error'
    : code === 529 || code === 503 ? 'overloaded_error' : code >= 400 && code < 500 ? 'invalid_request_error' : 'api_error';
}

function usageZero(): Usage {
  return {
    prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, cost: 0, is_byok: false,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0, image_tokens: 0 },
    cost_details: { upstream_inference_cost: null, upstream_inference_prompt_cost: 0, upstream_inference_completions_cost: 0 },
  };
}

// ---------------------------------------------------------------------- Responses

export function responsesUsage(u: Usage): Json {
  return {
    input_tokens: u.prompt_tokens, input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
    output_tokens: u.completion_tokens, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: u.total_tokens,
    cost: u.cost, is_byok: false,
    cost_details: { upstream_inference_cost: u.cost, upstream_inference_input_cost: u.cost_details.upstream_inference_prompt_cost, upstream_inference_output_cost: u.cost_details.upstream_inference_completions_cost },
  };
}

export class ResponseWriter {
  private seq = 0;
  readonly itemId = `msg_tmp_${rand(9)}`;
  readonly fcId = `fc_${rand(24)}`;

  constructor(readonly g: Gen, readonly body: Json) {}

  response(status: string, output: Json[], u: Usage | null, error: Json | null = null): Json {
    return {
      id: this.g.id, object: 'response', created_at: this.g.created, completed_at: status === 'completed' ? this.g.created + 1 : null,
      model: this.g.model, status, error, incomplete_details: null, output,
      instructions: this.body.instructions ?? null, metadata: {}, tools: this.body.tools ?? [], tool_choice: 'auto', parallel_tool_calls: false,
      temperature: 1, top_p: 1, presence_penalty: 0, frequency_penalty: 0, store: false, service_tier: 'default', truncation: 'disabled',
      usage: u === null ? null : responsesUsage(u),
    };
  }

  messageItem(text: string, done: boolean): Json {
    return {
      id: this.itemId, type: 'message', role: 'assistant', status: done ? 'completed' : 'in_progress', phase: 'final_answer',
      content: done ? [{ type: 'output_text', text, annotations: [], logprobs: [] }] : [],
    };
  }

  callItem(t: Tool, done: boolean): Json {
    return { id: this.fcId, type: 'function_call', call_id: t.id, name: t.name, arguments: done ? t.arguments : '', status: done ? 'completed' : 'in_progress' };
  }

  /** One data-only event with the next sequence number. */
  ev(type: string, data: Json = {}): string {
    return `data: ${JSON.stringify({ type, sequence_number: this.seq++, ...data })}\n\n`;
  }

  created(): string { return this.ev('response.created', { response: this.response('in_progress', [], null) }) + this.ev('response.in_progress', { response: this.response('in_progress', [], null) }); }
  textStart(): string {
    return this.ev('response.output_item.added', { output_index: 0, item: this.messageItem('', false) })
      + this.ev('response.content_part.added', { item_id: this.itemId, output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [], logprobs: [] } });
  }
  text(delta: string): string { return this.ev('response.output_text.delta', { item_id: this.itemId, output_index: 0, content_index: 0, delta, logprobs: [] }); }
  textEnd(text: string): string {
    return this.ev('response.output_text.done', { item_id: this.itemId, output_index: 0, content_index: 0, text, logprobs: [] })
      + this.ev('response.content_part.done', { item_id: this.itemId, output_index: 0, content_index: 0, part: { type: 'output_text', text, annotations: [], logprobs: [] } })
      + this.ev('response.output_item.done', { output_index: 0, item: this.messageItem(text, true) });
  }
  callStart(t: Tool): string { return this.ev('response.output_item.added', { output_index: 0, item: this.callItem(t, false) }); }
  callArgs(frag: string): string { return this.ev('response.function_call_arguments.delta', { item_id: this.fcId, output_index: 0, delta: frag }); }
  callEnd(t: Tool): string {
    return this.ev('response.function_call_arguments.done', { item_id: this.fcId, output_index: 0, arguments: t.arguments })
      + this.ev('response.output_item.done', { output_index: 0, item: this.callItem(t, true) });
  }
  completed(output: Json[], u: Usage): string { return this.ev('response.completed', { response: this.response('completed', output, u) }); }
  failed(code: string, message: string): string { return this.ev('response.failed', { response: this.response('failed', [], null, { code, message }) }); }
}

/**
 * OpenRouter's Responses API is stateless: `store: true` or a `previous_response_id` is refused with a
 * 400 (wire doc §2.2; the exact body is unconfirmed, so the documented Responses-native one).
 */
export function statefulRefusal(body: Json): { kind: 'status'; status: number; body: Json } | null {
  const why = body.store === true ? 'store: true is not supported: the Responses API is stateless'
    : body.previous_response_id !== undefined && body.previous_response_id !== null ? 'previous_response_id is not supported: send the whole conversation in input'
      : null;
  return why === null ? null : { kind: 'status', status: 400, body: { error: { code: 'invalid_prompt', message: why }, metadata: null } };
}

/** A Responses error code for an OpenRouter status. */
export function responsesCodeOf(code: number): string {
  return code === 429 ? 'rate_limit_exceeded' : code >= 400 && code < 500 ? 'invalid_prompt' : 'server_error';
}

// ---------------------------------------------------------------------- scenario writers

/** What a writer needs from the mock for one request. */
export interface Io {
  proto: Proto;
  g: Gen;
  body: Json;
  stream: boolean;
  json(status: number, body: unknown, headers?: Record<string, string>): void;
  startSse(): void;
  comments(n?: number): void;
  /** false when the client is gone */
  write(s: string): boolean;
  end(s?: string): void;
  /** Writes `s`, then destroys the socket (a cut, not a client abort). */
  cut(s: string): void;
  /** 200 headers for the whole JSON `full`, half of it, then the socket is destroyed. */
  cutJson(full: string): void;
  sleep(ms: number): Promise<void>;
}

export async function protoOk(io: Io, pieces: string[], delay: number, u: Usage, tool: Tool | undefined, toolFrags: string[], comments?: number): Promise<void> {
  const text = pieces.join('');
  if (io.proto === 'messages') {
    if (!io.stream) return io.json(200, message(io.g, text, u, tool), { 'X-Generation-Id': io.g.id });
    const e = messagesEvents;
    io.startSse();
    io.comments(comments);
    io.write(e.start(io.g));
    io.write(tool ? e.toolStart(tool) : e.textStart());
    for (const p of tool ? toolFrags : pieces) {
      await io.sleep(delay);
      if (!io.write(tool ? e.toolArgs(p) : e.text(p))) return;
    }
    io.write(e.blockStop() + e.delta(u, tool !== undefined) + e.stop());
    return io.end(e.trailer);
  }
  const w = new ResponseWriter(io.g, io.body);
  const output = [tool ? w.callItem(tool, true) : w.messageItem(text, true)];
  if (!io.stream) return io.json(200, w.response('completed', output, u), { 'X-Generation-Id': io.g.id });
  io.startSse();
  io.comments(comments);
  io.write(w.created());
  io.write(tool ? w.callStart(tool) : w.textStart());
  for (const p of tool ? toolFrags : pieces) {
    await io.sleep(delay);
    if (!io.write(tool ? w.callArgs(p) : w.text(p))) return;
  }
  io.write(tool ? w.callEnd(tool) : w.textEnd(text));
  io.write(w.completed(output, u));
  io.end('data: [DONE]\n\n');
}

/** Start of an answer, one content piece, then the protocol's error event (no end). */
export async function protoMidStreamError(io: Io, first: string, code: number, message: string, delay: number): Promise<void> {
  if (io.proto === 'messages') {
    const e = messagesEvents;
    if (!io.stream) return io.json(200, { type: 'error', error: { type: anthropicTypeOf(code), message } });
    io.startSse();
    io.comments();
    io.write(e.start(io.g) + e.textStart() + e.text(first));
    await io.sleep(delay);
    return io.end(e.error(anthropicTypeOf(code), message));
  }
  const w = new ResponseWriter(io.g, io.body);
  if (!io.stream) return io.json(200, w.response('failed', [], null, { code: responsesCodeOf(code), message }));
  io.startSse();
  io.comments();
  io.write(w.created() + w.textStart() + w.text(first));
  await io.sleep(delay);
  io.end(w.failed(responsesCodeOf(code), message));
}

/** 'cut': the start and one content piece, then the socket is destroyed; 'stall': the start of the first content block, then silence. */
export function protoFirstChunkThen(io: Io, first: string, then: 'cut' | 'stall', u: Usage): void {
  if (!io.stream) {
    const full = JSON.stringify(io.proto === 'messages' ? message(io.g, first, u) : new ResponseWriter(io.g, io.body).response('completed', [], u));
    return io.cutJson(full);
  }
  io.startSse();
  io.comments();
  if (io.proto === 'messages') {
    const e = messagesEvents;
    if (then === 'stall') { io.write(e.start(io.g) + e.textStart()); return; }
    return io.cut(e.start(io.g) + e.textStart() + e.text(first));
  }
  const w = new ResponseWriter(io.g, io.body);
  if (then === 'stall') { io.write(w.created() + w.textStart()); return; }
  io.cut(w.created() + w.textStart() + w.text(first));
}
