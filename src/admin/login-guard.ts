// Lockout for password guessing: LOGIN_MAX_FAILURES failed logins from one client address within
// LOGIN_LOCKOUT_SECONDS lock that address out until the window has passed. In memory, per process:
// with several replicas a guesser gets that many tries on each, which still bounds guessing.

interface ClientRecord { failures: number; windowStart: number; lockedUntil: number }

const MAX_TRACKED = 10_000;

export class LoginGuard {
  private readonly clients = new Map<string, ClientRecord>();

  constructor(private readonly maxFailures: number, private readonly lockoutMs: number) {}

  /** Seconds the client must still wait, or 0 when it may try. */
  retryAfter(client: string, now: number): number {
    const r = this.clients.get(client);
    if (!r || r.lockedUntil <= now) return 0;
    return Math.ceil((r.lockedUntil - now) / 1000);
  }

  /** Counts a failure; returns the seconds to wait when this failure locks the client out, else 0. */
  fail(client: string, now: number): number {
    let r = this.clients.get(client);
    if (!r || now - r.windowStart >= this.lockoutMs) {
      if (!r && this.clients.size >= MAX_TRACKED) this.prune(now);
      r = { failures: 0, windowStart: now, lockedUntil: 0 };
      this.clients.set(client, r);
    }
    r.failures++;
    if (r.failures < this.maxFailures) return 0;
    r.lockedUntil = now + this.lockoutMs;
    r.failures = 0;
    r.windowStart = r.lockedUntil; // a fresh window starts once the lockout ends
    return Math.ceil(this.lockoutMs / 1000);
  }

  succeed(client: string): void {
    this.clients.delete(client);
  }

  private prune(now: number): void {
    for (const [client, r] of this.clients) {
      if (r.lockedUntil <= now && now - r.windowStart >= this.lockoutMs) this.clients.delete(client);
    }
    // Still full (a flood of addresses): forget the oldest half rather than grow without bound.
    if (this.clients.size >= MAX_TRACKED) {
      let drop = this.clients.size / 2;
      for (const client of this.clients.keys()) { if (drop-- <= 0) break; this.clients.delete(client); }
    }
  }
}
