// The probe scheduler: every HEALTH_CHECK_INTERVAL_SECONDS (a live setting) it probes the inactive
// keys whose cooldown is over, HEALTH_CHECK_CONCURRENCY at a time. Only the leader probes (one
// process among replicas); with no inactive key it sends nothing.

import type { Runtime } from '../runtime';
import { eachAtMost } from './each-at-most';
import { probeKey } from './probe-key';

export class HealthProber {
  private timer: NodeJS.Timeout | null = null;
  private interval = 0;
  private running = false;
  private stopped = true;
  private abort = new AbortController();
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly rt: Runtime) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.abort = new AbortController();
    const sub = this.rt.projection.folded.subscribe(({ event }) => {
      // An admin change of the interval applies at once, not after the old interval.
      if (event.type === 'SettingsChanged' && this.rt.settings.healthCheckIntervalSeconds !== this.interval) this.schedule();
    });
    this.unsubscribe = () => sub.unsubscribe();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.abort.abort();
  }

  /** One round now; resolves with the number of keys probed. */
  async runOnce(): Promise<number> {
    if (this.running || !this.rt.isLeader()) return 0;
    const now = this.rt.projection.now();
    const due: string[] = [];
    for (const k of Object.values(this.rt.projection.state.keys)) {
      // A key an admin disabled is never probed: only the admin brings it back.
      if (!k.active && !k.disabled && !(k.coolUntil !== null && k.coolUntil > now)) due.push(k.id);
    }
    if (due.length === 0) return 0;
    this.running = true;
    const signal = this.abort.signal;
    try {
      await eachAtMost(due, this.rt.config.healthCheckConcurrency, async (id) => {
        const r = await probeKey(this.rt, id, signal);
        if (r?.reactivated) this.rt.log.info({ key_id: id, detail: r.detail }, 'health check brought a key back');
      }, (err, id) => this.rt.log.error({ err, key_id: id }, 'health probe failed unexpectedly'), signal);
    } finally {
      this.running = false;
    }
    return due.length;
  }

  private schedule(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.interval = this.rt.settings.healthCheckIntervalSeconds;
    this.timer = setTimeout(() => void this.tick(), this.interval * 1000);
    this.rt.schedule.nextProbeAt = Date.now() + this.interval * 1000;
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.timer = null;
    try {
      await this.runOnce();
    } catch (err) {
      this.rt.log.error({ err }, 'health check round failed');
    } finally {
      if (!this.timer) this.schedule();
    }
  }
}
