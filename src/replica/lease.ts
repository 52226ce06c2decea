// One replica at a time runs the prober, records cooldown ends and writes snapshots: the holder of a
// lease row in MySQL (src/store/lease-store.ts, on the database server's clock). The holder renews
// every third of the lease and stops believing it holds it a margin before the lease could have
// expired, even if the renewals fail.

import type { Log } from '../log';
import type { LeaseStore } from '../store/lease-store';

export interface LeaseOptions {
  store: LeaseStore;
  name: string;
  owner: string;
  leaseMs: number;
  log: Log;
  /** Called when this process gains or loses the lease. */
  onChange?: (held: boolean) => void;
}

export class Lease {
  private validUntil = 0; // performance.now() time; the lease is ours before it
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private attempt: Promise<void> = Promise.resolve();
  private wasHeld = false;

  constructor(private readonly o: LeaseOptions) {}

  /** Whether this process holds the lease now. */
  get held(): boolean { return !this.stopped && performance.now() < this.validUntil; }

  /** Tries once at once (so a lone replica leads from its first request on), then every third of the lease. */
  async start(): Promise<void> {
    await this.tick();
  }

  /** One attempt to take or renew the lease. */
  tryOnce(): Promise<void> {
    this.attempt = this.attempt.then(() => this.acquire());
    return this.attempt;
  }

  /** Stops renewing and hands the lease back so another replica takes it over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.attempt;
    try {
      await this.o.store.release(this.o.name, this.o.owner);
    } catch (err) {
      this.o.log.warn({ err, lease: this.o.name }, 'could not release the lease; it expires by itself');
    }
    this.announce();
  }

  private async tick(): Promise<void> {
    await this.tryOnce();
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), Math.max(100, Math.floor(this.o.leaseMs / 3)));
    this.timer.unref();
  }

  private async acquire(): Promise<void> {
    if (this.stopped) return;
    const { store, name, owner, leaseMs } = this.o;
    const sentAt = performance.now();
    try {
      const taken = await store.take(name, owner, leaseMs);
      // The database started the lease after sentAt: ours until sentAt + lease, less a margin for drift.
      this.validUntil = taken ? sentAt + leaseMs - Math.min(1000, leaseMs / 10) : 0;
    } catch (err) {
      this.o.log.warn({ err, lease: name }, 'could not renew the lease');
    }
    this.announce();
  }

  private announce(): void {
    const held = this.held;
    if (held === this.wasHeld) return;
    this.wasHeld = held;
    if (held) this.o.log.info({ lease: this.o.name, owner: this.o.owner }, 'this replica now holds the lease: it probes and writes snapshots');
    else this.o.log.info({ lease: this.o.name }, 'this replica no longer holds the lease');
    this.o.onChange?.(held);
  }
}
