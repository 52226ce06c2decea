// One timer for the earliest cooldown end, however many keys cool: a key that cools until sooner
// moves it forward, and each time it fires it is set again for the next end. Keys leave the index
// when they start cooling; this is what brings them back, so it must not wait on a request.

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const nodeTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms).unref(), // a cooldown must not keep a stopping process alive
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** setTimeout's longest delay; a later end is waited for in steps. */
const MAX_DELAY = 2 ** 31 - 1;
/** Fired a little after the end, so the key's own clock check agrees that it is over. */
const SLACK_MS = 5;

export interface CooldownTimerOptions {
  now: () => number;
  /** The earliest cooldown end (Infinity: none). */
  earliest: () => number;
  /** The time has come: end the cooldowns that are over at `now`. */
  due: (now: number) => void;
  timers?: Timers;
}

export class CooldownTimer {
  private handle: unknown = null;
  /** When the timer is set for (Infinity: not set). */
  private at = Infinity;
  private stopped = false;
  private readonly timers: Timers;
  private readonly fire = (): void => this.run();

  constructor(private readonly o: CooldownTimerOptions) {
    this.timers = o.timers ?? nodeTimers;
  }

  /** Sets the timer for the earliest end there is. */
  start(): void { this.setFor(this.o.earliest()); }

  /** A key cools until `until`: the timer moves forward when that is sooner. */
  cooling(until: number): void {
    if (until < this.at) this.setFor(until);
  }

  stop(): void {
    this.stopped = true;
    this.clear();
  }

  private run(): void {
    this.handle = null;
    this.at = Infinity;
    this.o.due(this.o.now());
    this.setFor(this.o.earliest());
  }

  private setFor(at: number): void {
    if (this.stopped) return;
    this.clear();
    if (at === Infinity) return;
    this.at = at;
    this.handle = this.timers.set(this.fire, Math.min(Math.max(at - this.o.now(), 0) + SLACK_MS, MAX_DELAY));
  }

  private clear(): void {
    if (this.handle !== null) this.timers.clear(this.handle);
    this.handle = null;
    this.at = Infinity;
  }
}
