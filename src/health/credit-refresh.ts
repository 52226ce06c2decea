// The slow credit refresh: every key's GET /key once per CREDIT_REFRESH_MINUTES, spread over the
// period a few keys at a time (ticks jittered so replicas and restarts do not line up), the keys
// asked longest ago first. Only the leader asks. A key whose limit is spent is out of rotation
// (keyStatus) until a refresh shows room; it is asked on every tick until then.

import { exhausted } from '../domain/credit';
import type { Runtime } from '../runtime';
import { eachAtMost } from './each-at-most';
import { refreshCredit } from './probe-key';

const TICK_MS = 30_000;

export class CreditRefresher {
  private timer: NodeJS.Timeout | null = null;
  private abort = new AbortController();
  private readonly askedAt = new Map<string, number>();
  private running = false;

  constructor(private readonly rt: Runtime, private readonly random: () => number = Math.random) {}

  start(): void {
    if (this.timer) return;
    this.abort = new AbortController();
    this.schedule();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.abort.abort();
  }

  /** One tick: the keys due now; resolves with how many were asked. */
  async runOnce(): Promise<number> {
    if (this.running || !this.rt.isLeader()) return 0;
    const now = this.rt.projection.now();
    const keys = Object.values(this.rt.projection.state.keys);
    const period = this.rt.config.creditRefreshMinutes * 60_000;
    const last = (id: string) => Math.max(this.askedAt.get(id) ?? -Infinity, this.rt.projection.state.keys[id]?.credit?.checked_at ?? -Infinity);
    const spent = keys.filter((k) => exhausted(k.credit)).map((k) => k.id);
    const due = keys.filter((k) => !exhausted(k.credit) && now - last(k.id) >= period).map((k) => k.id)
      .sort((a, b) => last(a) - last(b));
    // Enough per tick to go round the pool once per period.
    const share = Math.max(1, Math.ceil((keys.length * TICK_MS) / period));
    const batch = [...spent.slice(0, share), ...due.slice(0, share)];
    if (batch.length === 0) return 0;
    this.running = true;
    const signal = this.abort.signal;
    try {
      await eachAtMost(batch, this.rt.config.healthCheckConcurrency, (id) => {
        this.askedAt.set(id, now);
        return refreshCredit(this.rt, id, signal);
      }, (err, id) => this.rt.log.warn({ err, key_id: id }, 'credit refresh failed'), signal);
    } finally {
      this.running = false;
    }
    for (const id of this.askedAt.keys()) if (!this.rt.projection.state.keys[id]) this.askedAt.delete(id);
    return batch.length;
  }

  private schedule(): void {
    const delay = TICK_MS * (0.8 + 0.4 * this.random());
    this.timer = setTimeout(() => void this.tick(), delay);
    this.rt.schedule.nextCreditAt = Date.now() + delay;
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try { await this.runOnce(); } catch (err) { this.rt.log.error({ err }, 'credit refresh round failed'); }
    if (!this.abort.signal.aborted) this.schedule();
  }
}
