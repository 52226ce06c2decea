// Per-key health from the request log: success rate over the key's attempts in the last 24 h (caller
// faults and client aborts are not the key's doing and do not count) and how many requests it was
// tried for. One grouped query over request_keys' time index, cached briefly: the key table polls.

import type { RequestLogStore } from '../store/request-log-store';

export interface KeyHealth { success_rate: number | null; requests_24h: number }

const DAY = 86_400_000;
const CACHE_MS = 10_000;
const NONE: KeyHealth = { success_rate: null, requests_24h: 0 };

export class KeyHealthView {
  private map = new Map<string, KeyHealth>();
  private at = -Infinity;
  private pending: Promise<void> | null = null;

  constructor(private readonly store: RequestLogStore, private readonly now: () => number) {}

  /**
   * Refreshes figures older than a few seconds. Once there are figures, a refresh runs in the
   * background and the caller gets the previous ones at once (the query reads a day of attempts).
   */
  async refresh(force = false): Promise<void> {
    if (!force && this.now() - this.at < CACHE_MS) return;
    this.pending ??= this.load().finally(() => { this.pending = null; });
    if (force || this.at === -Infinity) return this.pending;
    this.pending.catch(() => undefined);
  }

  get(id: string): KeyHealth { return this.map.get(id) ?? NONE; }

  private async load(): Promise<void> {
    const now = this.now();
    const rows = await this.store.keyOutcomes(now - DAY);
    const acc = new Map<string, { ok: number; counted: number; all: number }>();
    for (const r of rows) {
      const a = acc.get(r.key_id) ?? { ok: 0, counted: 0, all: 0 };
      a.all += r.n;
      if (r.outcome === 'ok') a.ok += r.n;
      if (r.outcome !== 'caller' && r.outcome !== 'client_abort') a.counted += r.n;
      acc.set(r.key_id, a);
    }
    const map = new Map<string, KeyHealth>();
    for (const [id, a] of acc) map.set(id, { success_rate: a.counted === 0 ? null : a.ok / a.counted, requests_24h: a.all });
    this.map = map;
    this.at = now;
  }
}
