/**
 * Mock OpenRouter upstream for tests and benchmarks: plain node:http on 127.0.0.1, keep-alive,
 * wire shapes from the OpenRouter wire notes (openrouter-wire.md).
 *
 *   const up = await startMockUpstream();          // up.url = http://127.0.0.1:PORT/api/v1
 *   up.behave(KEY_A, scenarios.userNotFound());    // how requests with `Bearer KEY_A` are answered
 *   up.behave(KEY_B, [scenarios.rateLimited(), scenarios.ok()]);  // in order; the last one sticks
 *   ... up.callsFor(KEY_A), up.received, up.abortedStreams ...
 *   up.reset(); await up.close();
 *
 * Routes (under /api/v1): POST /chat/completions, /completions, /embeddings, /messages (Anthropic
 * Messages) and /responses (OpenAI Responses), answered by the key's scenario; POST
 * /messages/count_tokens is 404 as on OpenRouter; /responses refuses `store: true` and a
 * `previous_response_id` with 400 (OpenRouter's Responses API is stateless); GET /generation?id= answers only the key that made
 * the generation (403 for another key); GET /key and /auth/key (see `keyInfo`); GET /models (no auth;
 * see `failModels`). The key is read from `Authorization: Bearer` or `x-api-key`. A missing key gets
 * 401 "No auth credentials found" (except on /models).
 * Every request is recorded, raw body included, before it is answered.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { scenarios, type KeyInfo, type MidStreamErrorScenario, type OkScenario, type Scenario, type StatusScenario } from './mock-upstream-scenarios';
import * as wire from './mock-upstream-wire';
import * as proto from './mock-upstream-protocols';

export * from './mock-upstream-scenarios';
export { defaultModels, genId } from './mock-upstream-wire';

export interface ReceivedRequest {
  method: string;
  /** Path as received, query included, e.g. `/api/v1/chat/completions`. */
  path: string;
  /** Path below `/api/v1`, without query, e.g. `/chat/completions`. */
  route: string;
  headers: http.IncomingHttpHeaders;
  /** Raw request body, byte-for-byte (UTF-8 decoded). */
  body: string;
  /** Parsed JSON body, or null when empty or not JSON. */
  json: unknown;
  /** Bearer (or x-api-key) key, or null when missing/empty. */
  key: string | null;
  /** How many credential headers came (Authorization, x-api-key): a proxy must send exactly one. */
  credentials: number;
  /** Date.now() when the body was fully received. */
  at: number;
  /** Client port: equal ports on sequential requests mean a reused keep-alive connection. */
  remotePort: number;
}

export interface MockUpstreamOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Scenario for keys with nothing configured. Default `{kind:'ok'}`. */
  defaultScenario?: Scenario;
  /** Per-key scenarios set at start (same as calling `behave`). */
  keys?: Record<string, Scenario | Scenario[]>;
  /** Default content pieces. Default `['Hello', ' from', ' mock']`. */
  chunks?: string[];
  /** Default delay before each streamed content chunk. Default 0. */
  chunkDelayMs?: number;
  /** `provider` field of answers. Default 'MockProvider'. */
  provider?: string;
  /** GET /models items. Default: `defaultModels()`. */
  models?: Record<string, unknown>[];
  /** Answer requests that offer tools with a tool call (default true). Off for coding agents, which always offer tools. */
  answerTools?: boolean;
  /** Keep requests in `received` (default true). Turn off for long benchmarks. */
  record?: boolean;
  /** Count `:free` requests per key as OpenRouter does and refuse those over the limits (see FreeTier). */
  freeTier?: FreeTier;
}

/**
 * OpenRouter's free tier (wire doc §3): per key, `perWindow` requests to `:free` models per fixed window
 * of `windowMs` (20 per minute) and `perDay` per UTC day (50, or 1000 with credits). Every attempt
 * counts, refused ones too. Over the window: 429 free-models-per-min with X-RateLimit-* naming the
 * window's end; over the day: 429 free-models-per-day naming the next UTC midnight.
 */
export interface FreeTier {
  perWindow: number;
  windowMs: number;
  perDay: number;
  /** The mock's clock (share the server's fake clock). Default Date.now. */
  now?: () => number;
}

type Endpoint = 'chat' | 'text' | 'embeddings' | proto.Proto;
type Json = Record<string, unknown>;

interface Ctx {
  res: http.ServerResponse;
  rec: ReceivedRequest;
  body: Json;
  stream: boolean;
  /** The client side went away (or the mock closed); stop writing. */
  closed: boolean;
  /** The mock finished (or cut) the answer on purpose. */
  done: boolean;
  signal: AbortSignal;
}

const DEFAULT_CHUNKS = ['Hello', ' from', ' mock'];
const DEFAULT_TOOL_ARGS = '{"location":"Paris, France","unit":"celsius"}';
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const done = (): void => { clearTimeout(t); signal.removeEventListener('abort', done); resolve(); };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

function apiKey(h: string | string[] | undefined): string | null {
  return typeof h === 'string' && h.trim() !== '' ? h.trim() : null;
}

function bearer(h: string | undefined): string | null {
  const m = /^Bearer\s+(.*)$/i.exec(h ?? '');
  const key = m?.[1]?.trim() ?? '';
  return key === '' ? null : key;
}

/** Polls `fn` every 5 ms until it is true; rejects after `timeoutMs`. */
export async function waitUntil(fn: () => boolean, timeoutMs = 2000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`waitUntil: condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export class MockUpstream {
  /** Base URL to use as OPENROUTER_BASE_URL, e.g. `http://127.0.0.1:PORT/api/v1`. */
  url = '';
  port = 0;
  readonly received: ReceivedRequest[] = [];
  /** Streaming (`stream:true`) requests whose client disconnected before the mock finished. */
  abortedStreams = 0;
  /** Any request whose client disconnected before the mock finished (streaming or not, hang included). */
  abortedRequests = 0;
  /** Total inference/key/models requests seen (counted even when `record` is off). */
  requestCount = 0;
  /** GET /models calls. */
  modelsCalls = 0;
  /** When true, GET /models answers 500. */
  failModels = false;
  models: Record<string, unknown>[];
  /** Generation id → the key that made it (GET /generation answers only that key). */
  readonly generations = new Map<string, string>();

  private readonly server: http.Server;
  private readonly byKey = new Map<string, Scenario[]>();
  private readonly keyInfos = new Map<string, KeyInfo>();
  private readonly probes = new Map<string, number>();
  private fallback: Scenario;
  private closing = false;
  private free: FreeTier | undefined;
  private readonly freeCounts = new Map<string, { window: number; inWindow: number; day: number; inDay: number }>();
  /** 429s the free tier answered (per-minute and per-day), by key. */
  readonly free429s = new Map<string, number>();

  constructor(private readonly opts: MockUpstreamOptions = {}) {
    this.fallback = opts.defaultScenario ?? { kind: 'ok' };
    this.models = opts.models ?? wire.defaultModels();
    this.free = opts.freeTier;
    for (const [k, s] of Object.entries(opts.keys ?? {})) this.behave(k, s);
    this.server = http.createServer({ keepAlive: true }, (req, res) => this.onRequest(req, res));
    this.server.keepAliveTimeout = 60_000;
    this.server.headersTimeout = 65_000;
    this.server.requestTimeout = 0;
  }

  /** Scenario for keys with nothing configured. */
  get defaultScenario(): Scenario { return this.fallback; }
  set defaultScenario(s: Scenario) { this.fallback = s; }

  /** How requests with `Bearer <key>` are answered. An array is played in order; its last entry sticks. */
  behave(key: string, scenario: Scenario | Scenario[]): this {
    const list = Array.isArray(scenario) ? [...scenario] : [scenario];
    if (list.length === 0) this.byKey.delete(key);
    else this.byKey.set(key, list);
    return this;
  }

  /** Turns OpenRouter's free-tier counting on (or off with undefined); counts start from zero. */
  freeTier(tier: FreeTier | undefined): this {
    this.free = tier;
    this.freeCounts.clear();
    this.free429s.clear();
    return this;
  }

  /** Free-tier 429s answered so far, over every key. */
  get free429Count(): number {
    let n = 0;
    for (const v of this.free429s.values()) n += v;
    return n;
  }

  /** What GET /key answers for `key` (status 200|401, limit_remaining…). */
  keyInfo(key: string, info: KeyInfo): this {
    this.keyInfos.set(key, info);
    return this;
  }

  /** Recorded requests made with `key`, optionally only those to `route` (e.g. '/chat/completions'). */
  callsFor(key: string, route?: string): ReceivedRequest[] {
    return this.received.filter((r) => r.key === key && (route === undefined || r.route === route));
  }

  /** Recorded inference requests (chat, completions, embeddings) made with `key`. */
  inferenceCallsFor(key: string): ReceivedRequest[] {
    return this.received.filter((r) => r.key === key && r.method === 'POST');
  }

  /** GET /key (or /auth/key) probes made with `key`. */
  probesFor(key: string): number {
    return this.probes.get(key) ?? 0;
  }

  /** Forgets requests, counters, per-key scenarios and key infos; restores the start options. */
  reset(): void {
    this.received.length = 0;
    this.abortedStreams = 0;
    this.abortedRequests = 0;
    this.requestCount = 0;
    this.modelsCalls = 0;
    this.failModels = false;
    this.byKey.clear();
    this.generations.clear();
    this.keyInfos.clear();
    this.probes.clear();
    this.free = this.opts.freeTier;
    this.freeCounts.clear();
    this.free429s.clear();
    this.fallback = this.opts.defaultScenario ?? { kind: 'ok' };
    this.models = this.opts.models ?? wire.defaultModels();
    for (const [k, s] of Object.entries(this.opts.keys ?? {})) this.behave(k, s);
  }

  listen(): Promise<this> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port ?? 0, '127.0.0.1', () => {
        this.port = (this.server.address() as AddressInfo).port;
        this.url = `http://127.0.0.1:${this.port}/api/v1`;
        resolve(this);
      });
    });
  }

  /** Stops listening and drops every open connection (hanging and stalled answers included). */
  close(): Promise<void> {
    this.closing = true;
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // ---------------------------------------------------------------- dispatch

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => { this.dispatch(req, res, Buffer.concat(parts).toString('utf8')).catch(() => res.destroy()); });
  }

  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse, raw: string): Promise<void> {
    const path = req.url ?? '/';
    const pathname = path.split('?')[0] ?? '/';
    const route = pathname.startsWith('/api/v1/') ? pathname.slice('/api/v1'.length) : pathname;
    let json: unknown = null;
    try { json = raw === '' ? null : JSON.parse(raw); } catch { json = null; }
    const rec: ReceivedRequest = {
      method: req.method ?? 'GET', path, route, headers: req.headers, body: raw, json,
      key: bearer(req.headers.authorization) ?? apiKey(req.headers['x-api-key']), at: Date.now(), remotePort: req.socket.remotePort ?? 0,
      credentials: (req.headers.authorization !== undefined ? 1 : 0) + (req.headers['x-api-key'] !== undefined ? 1 : 0),
    };
    this.requestCount++;
    if (this.opts.record !== false) this.received.push(rec);

    const ac = new AbortController();
    const ctx: Ctx = { res, rec, body: isObj(json) ? json : {}, stream: isObj(json) && json.stream === true, closed: false, done: false, signal: ac.signal };
    res.on('close', () => {
      ctx.closed = true;
      ac.abort();
      if (!ctx.done && !res.writableFinished && !this.closing) {
        this.abortedRequests++;
        if (ctx.stream) this.abortedStreams++;
      }
    });

    const { method } = rec;
    if (!pathname.startsWith('/api/v1/')) return this.sendStatus(ctx, this.notFound());
    if (method === 'GET' && route === '/models') return this.modelsRoute(ctx);
    if (rec.key === null) return this.sendStatus(ctx, scenarios.noAuth());
    if (method === 'GET' && (route === '/key' || route === '/auth/key')) return this.keyRoute(ctx, rec.key);
    if (method === 'POST' && route === '/messages/count_tokens') return this.sendStatus(ctx, this.notFound());
    if (method === 'GET' && route === '/generation') return this.generationRoute(ctx, rec.key, new URL(path, 'http://x').searchParams.get('id'));
    const endpoint: Endpoint | undefined = method !== 'POST' ? undefined
      : route === '/chat/completions' ? 'chat' : route === '/completions' ? 'text' : route === '/embeddings' ? 'embeddings'
        : route === '/messages' ? 'messages' : route === '/responses' ? 'responses' : undefined;
    if (!endpoint) return this.sendStatus(ctx, this.notFound());
    if (endpoint === 'embeddings') ctx.stream = false;
    if (endpoint === 'responses') {
      const stateful = proto.statefulRefusal(ctx.body);
      if (stateful) return this.sendStatus(ctx, stateful);
    }
    const refused = this.freeTierRefusal(rec.key, ctx.body.model);
    if (refused) return this.sendStatus(ctx, refused);
    return this.answer(ctx, this.takeScenario(rec.key), endpoint);
  }

  /** Counts a `:free` attempt; the 429 OpenRouter would answer when the key's window or day is spent. */
  private freeTierRefusal(key: string, model: unknown): StatusScenario | null {
    const tier = this.free;
    if (!tier || typeof model !== 'string' || !model.endsWith(':free')) return null;
    const now = (tier.now ?? Date.now)();
    const window = Math.floor(now / tier.windowMs);
    const day = Math.floor(now / 86_400_000);
    let c = this.freeCounts.get(key);
    if (!c) { c = { window, inWindow: 0, day, inDay: 0 }; this.freeCounts.set(key, c); }
    if (c.window !== window) { c.window = window; c.inWindow = 0; }
    if (c.day !== day) { c.day = day; c.inDay = 0; }
    c.inWindow++;
    c.inDay++; // refused attempts count against the daily quota too
    let refusal: StatusScenario | null = null;
    if (c.inDay > tier.perDay) refusal = scenarios.freeModelsPerDay({ limit: tier.perDay === 1000 ? 1000 : 50, resetMs: (day + 1) * 86_400_000 });
    else if (c.inWindow > tier.perWindow) refusal = scenarios.freeModelsPerMin((window + 1) * tier.windowMs, tier.perWindow);
    if (refusal) this.free429s.set(key, (this.free429s.get(key) ?? 0) + 1);
    return refusal;
  }

  private notFound(): StatusScenario {
    return { kind: 'status', status: 404, body: { error: { code: 404, message: 'Not Found' } } };
  }

  private takeScenario(key: string): Scenario {
    const list = this.byKey.get(key);
    if (!list) return this.fallback;
    return list.length > 1 ? (list.shift() as Scenario) : (list[0] as Scenario);
  }

  private peekScenario(key: string): Scenario {
    return this.byKey.get(key)?.[0] ?? this.fallback;
  }

  private async answer(ctx: Ctx, sc: Scenario, endpoint: Endpoint): Promise<void> {
    if (endpoint === 'messages' || endpoint === 'responses') return this.answerProto(ctx, sc, endpoint);
    switch (sc.kind) {
      case 'ok': return this.ok(ctx, sc, endpoint);
      case 'status': return this.sendStatus(ctx, sc);
      case 'midStreamError': return this.midStreamError(ctx, sc, endpoint);
      case 'cutAfterFirstChunk': return this.firstChunkThen(ctx, endpoint, 'cut');
      case 'stall': return this.firstChunkThen(ctx, endpoint, 'stall');
      case 'slowFirstByte':
        await sleep(sc.delayMs, ctx.signal);
        if (ctx.closed) return;
        return this.answer(ctx, sc.then ?? { kind: 'ok' }, endpoint);
      case 'hang': return; // the socket stays open until the client (or close()) ends it
      default: {
        const never: never = sc;
        throw new Error(`unknown scenario ${JSON.stringify(never)}`);
      }
    }
  }

  // ---------------------------------------------------------------- writers

  private sendJson(ctx: Ctx, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (ctx.closed) return;
    const isText = typeof body === 'string';
    const payload = isText ? body : JSON.stringify(body);
    ctx.done = true;
    ctx.res.writeHead(status, {
      'Content-Type': isText ? 'text/plain; charset=utf-8' : 'application/json',
      'Content-Length': Buffer.byteLength(payload),
      ...headers,
    });
    ctx.res.end(payload);
  }

  private sendStatus(ctx: Ctx, sc: StatusScenario): void {
    const body = sc.body ?? { error: { code: sc.status, message: http.STATUS_CODES[sc.status] ?? 'Error' } };
    this.sendJson(ctx, sc.status, body, sc.headers);
  }

  private startSse(ctx: Ctx, g: wire.Gen): void {
    ctx.res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', 'X-Generation-Id': g.id });
  }

  /** Writes one SSE piece; false when the client is gone. */
  private write(ctx: Ctx, s: string): boolean {
    if (ctx.closed) return false;
    ctx.res.write(s);
    return true;
  }

  private end(ctx: Ctx, s?: string): void {
    if (ctx.closed) return;
    ctx.done = true;
    ctx.res.end(s);
  }

  private gen(ctx: Ctx): wire.Gen {
    const model = typeof ctx.body.model === 'string' ? ctx.body.model : 'openai/gpt-4o-mini';
    const g = wire.newGen(model, this.opts.provider ?? 'MockProvider');
    if (ctx.rec.key !== null) this.generations.set(g.id, ctx.rec.key);
    return g;
  }

  private pieces(sc?: { chunks?: string[] }): string[] {
    const p = sc?.chunks ?? this.opts.chunks ?? DEFAULT_CHUNKS;
    return p.length > 0 ? p : [''];
  }

  /** The tool call to answer with, when the chat request offers tools (and tool_choice is not "none"). */
  private toolCall(ctx: Ctx, sc: OkScenario): wire.ToolCall | undefined {
    const tools = ctx.body.tools;
    if (this.opts.answerTools === false || !Array.isArray(tools) || tools.length === 0 || ctx.body.tool_choice === 'none') return undefined;
    const choice = ctx.body.tool_choice;
    const forced = isObj(choice) && isObj(choice.function) ? choice.function.name : undefined;
    const first: unknown = tools[0];
    const firstName = isObj(first) && isObj(first.function) ? first.function.name : undefined;
    const name = typeof forced === 'string' ? forced : typeof firstName === 'string' ? firstName : 'tool';
    return { id: wire.toolCallId(), name, arguments: sc.toolArguments ?? DEFAULT_TOOL_ARGS };
  }

  private comments(ctx: Ctx, n = 2): void {
    for (let i = 0; i < n; i++) this.write(ctx, wire.SSE_COMMENT);
  }

  // ---------------------------------------------------------------- scenarios

  private async ok(ctx: Ctx, sc: OkScenario, endpoint: Endpoint): Promise<void> {
    const raw = ctx.rec.body;
    if (endpoint === 'embeddings') return this.embeddings(ctx);
    const g = this.gen(ctx);
    const pieces = this.pieces(sc);
    const delay = sc.chunkDelayMs ?? this.opts.chunkDelayMs ?? 0;
    const tool = endpoint === 'chat' ? this.toolCall(ctx, sc) : undefined;

    if (!ctx.stream) {
      const content = pieces.join('');
      const body = endpoint === 'text'
        ? wire.textCompletion(g, content, wire.usage(raw, pieces.length))
        : wire.chatCompletion(g, content, wire.usage(raw, tool ? 1 : pieces.length), tool);
      return this.sendJson(ctx, 200, body, { 'X-Generation-Id': g.id });
    }

    this.startSse(ctx, g);
    this.comments(ctx, sc.comments);
    if (tool) {
      const frags = sc.toolArgumentChunks ?? wire.split(tool.arguments, 4);
      this.write(ctx, wire.sse(wire.chunk(g, { delta: { role: 'assistant', content: null,
        tool_calls: [{ index: 0, id: tool.id, type: 'function', function: { name: tool.name, arguments: '' } }] } })));
      for (const frag of frags) {
        await sleep(delay, ctx.signal);
        if (!this.write(ctx, wire.sse(wire.chunk(g, { delta: { role: 'assistant', content: null,
          tool_calls: [{ index: 0, type: 'function', function: { arguments: frag } }] } })))) return;
      }
      this.write(ctx, wire.sse(wire.chunk(g, { delta: {}, finish_reason: 'tool_calls', native_finish_reason: 'tool_calls' })));
      this.write(ctx, wire.sse(wire.chunk(g, null, { usage: wire.usage(raw, frags.length) })));
      return this.end(ctx, wire.SSE_DONE);
    }

    if (endpoint === 'chat') this.write(ctx, wire.sse(wire.chunk(g, { delta: { role: 'assistant', content: '' } })));
    for (const piece of pieces) {
      await sleep(delay, ctx.signal);
      const c = endpoint === 'text' ? wire.textChunk(g, piece, null) : wire.chunk(g, { delta: { role: 'assistant', content: piece } });
      if (!this.write(ctx, wire.sse(c))) return;
    }
    const fin = endpoint === 'text' ? wire.textChunk(g, '', 'stop')
      : wire.chunk(g, { delta: { role: 'assistant', content: '' }, finish_reason: 'stop', native_finish_reason: 'stop' });
    this.write(ctx, wire.sse(fin));
    this.write(ctx, wire.sse(wire.chunk(g, null, { usage: wire.usage(raw, pieces.length) })));
    this.end(ctx, wire.SSE_DONE);
  }

  private embeddings(ctx: Ctx): void {
    const input = ctx.body.input;
    const inputs = typeof input === 'string' ? [input]
      : Array.isArray(input) && input.every((x) => typeof x === 'number') ? [JSON.stringify(input)]
        : Array.isArray(input) ? input.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))) : [''];
    const dims = typeof ctx.body.dimensions === 'number' && ctx.body.dimensions > 0 ? Math.floor(ctx.body.dimensions) : 8;
    const model = typeof ctx.body.model === 'string' ? ctx.body.model : 'openai/text-embedding-3-small';
    this.sendJson(ctx, 200, wire.embeddings(model, this.opts.provider ?? 'MockProvider', inputs, dims, ctx.rec.body));
  }

  private async midStreamError(ctx: Ctx, sc: MidStreamErrorScenario, endpoint: Endpoint): Promise<void> {
    const code = sc.code ?? 502;
    const message = sc.message ?? 'Provider returned error';
    const metadata = sc.metadata ?? { error_type: 'provider_error', provider_name: this.opts.provider ?? 'MockProvider' };
    const g = this.gen(ctx);
    const first = this.pieces()[0] ?? '';
    if (!ctx.stream) {
      // HTTP 200 carrying the error (wire doc §1 "A 200 can still carry an error").
      const body = endpoint === 'embeddings' ? { error: { code, message, metadata } }
        : { ...wire.chatCompletion(g, first, wire.usage(ctx.rec.body, 1)), choices: [{ index: 0, logprobs: null,
          finish_reason: 'error', native_finish_reason: 'error', message: { role: 'assistant', content: first },
          error: { code, message, metadata } }] };
      return this.sendJson(ctx, 200, body);
    }
    this.startSse(ctx, g);
    this.comments(ctx);
    if (endpoint === 'chat') this.write(ctx, wire.sse(wire.chunk(g, { delta: { role: 'assistant', content: '' } })));
    this.write(ctx, wire.sse(endpoint === 'text' ? wire.textChunk(g, first, null) : wire.chunk(g, { delta: { role: 'assistant', content: first } })));
    await sleep(sc.chunkDelayMs ?? this.opts.chunkDelayMs ?? 0, ctx.signal);
    this.end(ctx, wire.sse(wire.errorChunk(g, code, message, metadata)));
  }

  /** cutAfterFirstChunk ('cut') and stall: send the start of a good answer, then destroy or go silent. */
  private firstChunkThen(ctx: Ctx, endpoint: Endpoint, then: 'cut' | 'stall'): void {
    const g = this.gen(ctx);
    let last: string;
    if (!ctx.stream) {
      const full = JSON.stringify(endpoint === 'embeddings'
        ? wire.embeddings(g.model, g.provider, [''], 8, ctx.rec.body)
        : wire.chatCompletion(g, this.pieces().join(''), wire.usage(ctx.rec.body, 1)));
      ctx.res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(full), 'X-Generation-Id': g.id });
      last = full.slice(0, Math.floor(full.length / 2));
    } else {
      this.startSse(ctx, g);
      this.comments(ctx);
      const role = wire.sse(endpoint === 'text' ? wire.textChunk(g, '', null) : wire.chunk(g, { delta: { role: 'assistant', content: '' } }));
      if (then === 'stall') {
        last = role;
      } else {
        this.write(ctx, role);
        const first = this.pieces()[0] ?? '';
        last = wire.sse(endpoint === 'text' ? wire.textChunk(g, first, null) : wire.chunk(g, { delta: { role: 'assistant', content: first } }));
      }
    }
    if (then === 'stall') { this.write(ctx, last); return; }
    ctx.done = true; // the mock ends it: not a client abort
    ctx.res.write(last, () => ctx.res.destroy());
  }

  // ---------------------------------------------------------------- /messages, /responses

  private async answerProto(ctx: Ctx, sc: Scenario, p: proto.Proto): Promise<void> {
    const io = this.io(ctx, p);
    const first = this.pieces()[0] ?? '';
    switch (sc.kind) {
      case 'ok': {
        const pieces = this.pieces(sc);
        const tool = this.opts.answerTools === false ? undefined : proto.toolOf(p, ctx.body, sc.toolArguments ?? DEFAULT_TOOL_ARGS);
        const frags = tool ? sc.toolArgumentChunks ?? wire.split(tool.arguments, 4) : [];
        return proto.protoOk(io, pieces, sc.chunkDelayMs ?? this.opts.chunkDelayMs ?? 0, wire.usage(ctx.rec.body, tool ? frags.length : pieces.length), tool, frags, sc.comments);
      }
      case 'status': return this.sendStatus(ctx, sc);
      case 'midStreamError':
        return proto.protoMidStreamError(io, first, sc.code ?? 502, sc.message ?? 'Provider returned error', sc.chunkDelayMs ?? this.opts.chunkDelayMs ?? 0);
      case 'cutAfterFirstChunk': return proto.protoFirstChunkThen(io, first, 'cut', wire.usage(ctx.rec.body, 1));
      case 'stall': return proto.protoFirstChunkThen(io, first, 'stall', wire.usage(ctx.rec.body, 1));
      case 'slowFirstByte':
        await sleep(sc.delayMs, ctx.signal);
        if (ctx.closed) return;
        return this.answerProto(ctx, sc.then ?? { kind: 'ok' }, p);
      case 'hang': return;
      default: {
        const never: never = sc;
        throw new Error(`unknown scenario ${JSON.stringify(never)}`);
      }
    }
  }

  private io(ctx: Ctx, p: proto.Proto): proto.Io {
    const g = this.gen(ctx);
    return {
      proto: p, g, body: ctx.body, stream: ctx.stream,
      json: (status, body, headers) => this.sendJson(ctx, status, body, headers),
      startSse: () => this.startSse(ctx, g),
      comments: (n) => this.comments(ctx, n),
      write: (s) => this.write(ctx, s),
      end: (s) => this.end(ctx, s),
      cut: (s) => { ctx.done = true; ctx.res.write(s, () => ctx.res.destroy()); },
      cutJson: (full) => {
        ctx.res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(full), 'X-Generation-Id': g.id });
        ctx.done = true;
        ctx.res.write(full.slice(0, Math.floor(full.length / 2)), () => ctx.res.destroy());
      },
      sleep: (ms) => sleep(ms, ctx.signal),
    };
  }

  private generationRoute(ctx: Ctx, key: string, id: string | null): void {
    const owner = id === null ? undefined : this.generations.get(id);
    if (owner === undefined) return this.sendStatus(ctx, { kind: 'status', status: 404, body: { error: { code: 404, message: 'Generation not found' } } });
    if (owner !== key) return this.sendStatus(ctx, { kind: 'status', status: 403, body: { error: { code: 403, message: "You don't have access to this generation" } } });
    this.sendJson(ctx, 200, { data: { id, total_cost: 0.0001, usage: 0.0001, model: 'openai/gpt-4o-mini', provider_name: this.opts.provider ?? 'MockProvider', tokens_prompt: 10, tokens_completion: 3 } });
  }

  // ---------------------------------------------------------------- /key, /models

  private async keyRoute(ctx: Ctx, key: string): Promise<void> {
    this.probes.set(key, this.probesFor(key) + 1);
    const info = this.keyInfos.get(key) ?? {};
    const sc = this.peekScenario(key);
    const status = info.status ?? (sc.kind === 'status' && sc.status === 401 ? 401 : 200);
    await sleep(info.delayMs ?? 0, ctx.signal);
    if (status === 200) return this.sendJson(ctx, 200, wire.keyInfoBody(key, info));
    if (status === 401) return this.sendStatus(ctx, scenarios.userNotFound());
    return this.sendStatus(ctx, { kind: 'status', status });
  }

  private modelsRoute(ctx: Ctx): void {
    this.modelsCalls++;
    if (this.failModels) return this.sendStatus(ctx, scenarios.serverError());
    this.sendJson(ctx, 200, { data: this.models });
  }
}

/** Starts a mock on 127.0.0.1 (port 0 by default). */
export function startMockUpstream(options: MockUpstreamOptions = {}): Promise<MockUpstream> {
  return new MockUpstream(options).listen();
}
