// Lockout for password guessing, counted twice: LOGIN_MAX_FAILURES failed logins from one client
// address lock that address out, and LOGIN_MAX_FAILURES_TOTAL failed logins from all addresses
// together lock every login out, each for LOGIN_LOCKOUT_SECONDS. The overall ceiling is what bounds
// a guesser who rotates or spoofs addresses; its price is that such a flood also makes the real
// admin wait out the lockout (the README says so). In memory, per process: with several replicas a
// guesser gets that many tries on each, which still bounds guessing.
//
// The failure that reaches a limit is still answered as a wrong password; only the attempts after
// it wait, so the user sees every "wrong password" they earned.

interface Counter { failures: number; windowStart: number; lockedUntil: number }

const MAX_TRACKED = 10_000;

export class LoginGuard {
  private readonly clients = new Map<string, Counter>();
  private readonly total: Counter = { failures: 0, windowStart: 0, lockedUntil: 0 };

  constructor(private readonly maxFailures: number, private readonly lockoutMs: number, private readonly maxTotal = Infinity) {}

  /** Seconds the client must still wait (its own lockout or everyone's), or 0 when it may try. */
  retryAfter(client: string, now: number): number {
    const until = Math.max(this.clients.get(client)?.lockedUntil ?? 0, this.total.lockedUntil);
    return until <= now ? 0 : Math.ceil((until - now) / 1000);
  }

  /** Whether the wait is everyone's (too many failures overall) rather than this client's. */
  lockedForAll(now: number): boolean { return this.total.lockedUntil > now; }

  /** Counts a failure; returns the seconds the next attempt must wait when this one reached a limit, else 0. */
  fail(client: string, now: number): number {
    let r = this.clients.get(client);
    if (!r) {
      if (this.clients.size >= MAX_TRACKED) this.prune(now);
      r = { failures: 0, windowStart: now, lockedUntil: 0 };
      this.clients.set(client, r);
    }
    const own = this.count(r, this.maxFailures, now);
    const all = this.count(this.total, this.maxTotal, now);
    return Math.max(own, all);
  }

  succeed(client: string): void {
    this.clients.delete(client);
  }

  private count(r: Counter, max: number, now: number): number {
    if (now - r.windowStart >= this.lockoutMs) { r.failures = 0; r.windowStart = now; }
    r.failures++;
    if (r.failures < max) return 0;
    r.lockedUntil = now + this.lockoutMs;
    r.failures = 0;
    r.windowStart = r.lockedUntil; // a fresh window starts once the lockout ends
    return Math.ceil(this.lockoutMs / 1000);
  }

  private prune(now: number): void {
    for (const [client, r] of this.clients) {
      if (r.lockedUntil <= now && now - r.windowStart >= this.lockoutMs) this.clients.delete(client);
    }
    // Still full (a flood of addresses): forget the oldest half rather than grow without bound. The
    // overall counter still holds every one of their failures.
    if (this.clients.size >= MAX_TRACKED) {
      let drop = this.clients.size / 2;
      for (const client of this.clients.keys()) { if (drop-- <= 0) break; this.clients.delete(client); }
    }
  }
}

