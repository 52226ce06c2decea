// One undici Pool with keep-alive to OPENROUTER_BASE_URL's origin and the headers every upstream
// request carries, shared by the proxy routes, the models cache and the health probes of one runtime.

import { Pool } from 'undici';
import type { Config } from '../config';
import type { Runtime } from '../runtime';

export class Upstream {
  readonly pool: Pool;
  /** The base URL's path, e.g. `/api/v1`; upstream paths are appended to it. */
  readonly basePath: string;
  /** HTTP-Referer and X-Title, when configured: [name, value, …]. */
  private readonly attribution: string[] = [];
  private readonly plainJsonHeaders = new Map<string, string[]>();

  constructor(config: Pick<Config, 'openrouterBaseUrl' | 'httpReferer' | 'xTitle'>) {
    const url = new URL(config.openrouterBaseUrl);
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.pool = new Pool(url.origin, {
      pipelining: 1,
      keepAliveTimeout: 10_000, // a server's own Keep-Alive hint wins when it sends one
      keepAliveMaxTimeout: 600_000,
      headersTimeout: 0, // the proxy runs its own first-byte and total timers
      bodyTimeout: 0,
      connect: { timeout: 10_000 },
    });
    if (config.httpReferer) this.attribution.push('http-referer', config.httpReferer);
    if (config.xTitle) this.attribution.push('x-title', config.xTitle);
  }

  path(route: string): string { return this.basePath + route; }

  /**
   * Request headers for a JSON POST with `secret` as the one credential (a flat name/value list, the
   * cheapest form for undici), plus `extra` (client headers a protocol passes through).
   */
  jsonHeaders(secret: string, extra: readonly string[] = []): string[] {
    if (extra.length === 0) { // the usual case: one list per key, built once (undici only reads it)
      let cached = this.plainJsonHeaders.get(secret);
      if (!cached) {
        if (this.plainJsonHeaders.size >= 4096) this.plainJsonHeaders.clear();
        this.plainJsonHeaders.set(secret, (cached = this.buildJsonHeaders(secret, extra)));
      }
      return cached;
    }
    return this.buildJsonHeaders(secret, extra);
  }

  private buildJsonHeaders(secret: string, extra: readonly string[]): string[] {
    const h = ['authorization', `Bearer ${secret}`, 'content-type', 'application/json'];
    for (let i = 0; i < this.attribution.length; i++) h.push(this.attribution[i]);
    for (let i = 0; i < extra.length; i++) h.push(extra[i]);
    return h;
  }

  /** Headers for a GET, with `secret` when the route needs one. */
  getHeaders(secret?: string): string[] {
    const h = secret === undefined ? ['accept', 'application/json'] : ['authorization', `Bearer ${secret}`, 'accept', 'application/json'];
    for (let i = 0; i < this.attribution.length; i++) h.push(this.attribution[i]);
    return h;
  }

  /** Waits for in-flight requests up to `graceMs`, then drops what is left. */
  async close(graceMs: number): Promise<void> {
    if (this.pool.closed || this.pool.destroyed) return;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'late'>((resolve) => { timer = setTimeout(resolve, graceMs, 'late'); });
    const result = await Promise.race([this.pool.close().then(() => 'closed' as const), grace]);
    clearTimeout(timer);
    if (result === 'late') await this.pool.destroy();
  }
}

const upstreams = new WeakMap<Runtime, Upstream>();

/** The runtime's upstream, created on first use. */
export function upstreamFor(rt: Runtime): Upstream {
  let up = upstreams.get(rt);
  if (!up || up.pool.closed || up.pool.destroyed) {
    up = new Upstream(rt.config);
    upstreams.set(rt, up);
  }
  return up;
}

export async function closeUpstream(rt: Runtime, graceMs: number): Promise<void> {
  const up = upstreams.get(rt);
  upstreams.delete(rt);
  if (up) await up.close(graceMs);
}
