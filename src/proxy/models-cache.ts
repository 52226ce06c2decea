// GET /v1/models: OpenRouter's model list in OpenAI's shape, cached for MODELS_CACHE_SECONDS and
// served stale when the upstream fails after a first success. /models needs no key upstream. A query
// (OpenRouter's filters, e.g. ?output_modalities=embeddings) is forwarded and cached on its own.

import { ApiError } from '../http/errors';
import type { Upstream } from '../upstream/pool';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Cached { body: Buffer; byId: Map<string, Json>; at: number }
interface Entry { cached: Cached | null; loading: Promise<Cached> | null }

const MAX_QUERIES = 32; // distinct filter combinations kept; the oldest is dropped past that

export class ModelsCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly upstream: Upstream,
    private readonly ttlSeconds: number,
    private readonly timeoutSeconds: () => number,
    private readonly onStale: (err: Error) => void,
  ) {}

  /** The list as JSON bytes; `query` is the raw query string without '?', or ''. */
  async list(query = ''): Promise<Buffer> { return (await this.current(query)).body; }

  /** One model by id, or null. */
  async one(id: string): Promise<Json | null> { return (await this.current('')).byId.get(id) ?? null; }

  private async current(query: string): Promise<Cached> {
    const entry = this.entry(query);
    const c = entry.cached;
    if (c && Date.now() - c.at < this.ttlSeconds * 1000) return c;
    try {
      entry.loading ??= this.fetch(query).finally(() => { entry.loading = null; });
      entry.cached = await entry.loading;
      return entry.cached;
    } catch (err) {
      if (c) { this.onStale(err as Error); return c; }
      throw new ApiError('upstream_error', `the upstream model list is not available: ${(err as Error).message}`);
    }
  }

  private entry(query: string): Entry {
    let e = this.entries.get(query);
    if (!e) {
      if (this.entries.size >= MAX_QUERIES) this.entries.delete(this.entries.keys().next().value as string);
      e = { cached: null, loading: null };
      this.entries.set(query, e);
    }
    return e;
  }

  private async fetch(query: string): Promise<Cached> {
    const ms = this.timeoutSeconds() * 1000;
    const res = await this.upstream.pool.request({
      path: this.upstream.path('/models') + (query ? `?${query}` : ''), method: 'GET', headers: this.upstream.getHeaders(),
      headersTimeout: ms, bodyTimeout: ms, signal: AbortSignal.timeout(ms),
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`GET /models answered ${res.statusCode}`);
    let parsed: unknown;
    try { parsed = JSON.parse(text); } catch { throw new Error('GET /models answered something that is not JSON'); }
    const items = isObj(parsed) && Array.isArray(parsed.data) ? parsed.data : null;
    if (!items) throw new Error('GET /models answered without a data list');
    const data: Json[] = [];
    const byId = new Map<string, Json>();
    for (const m of items) {
      if (!isObj(m) || typeof m.id !== 'string') continue;
      const model = toOpenAi(m as Json & { id: string });
      data.push(model);
      byId.set(m.id, model);
    }
    return { body: Buffer.from(JSON.stringify({ object: 'list', data })), byId, at: Date.now() };
  }
}

/** OpenAI's fields (id, object, created, owned_by), OpenRouter's own fields kept (OpenAI clients ignore unknown keys). */
export function toOpenAi(m: Json & { id: string }): Json {
  const created = typeof m.created === 'number' ? m.created : 0;
  const owner = m.id.includes('/') ? m.id.split('/')[0] : 'openrouter';
  const out: Json = { object: 'model', created, owned_by: owner, ...m };
  out.object = 'model';
  out.created = created;
  return out;
}
