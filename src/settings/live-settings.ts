// Settings that change at run time: the environment gives the start value, an admin change (a
// SettingsChanged event) overrides it, on every replica, and survives a restart through the log.
// Which settings are live, and their API names, comes from the table (settings-table.ts); each has a
// getter here under its Config name (`rt.settings.requestTimeoutSeconds`).

import type { Config } from '../config';
import type { FreeLimits } from '../domain/free-pacer';
import type { Projection } from '../projection/projection';
import { LIVE_SETTINGS, type LiveKey, type LiveName, type LiveValues } from './settings-table';

// One getter per live setting, defined from the table once, on the prototype.
export interface LiveSettings extends Readonly<Pick<Config, LiveKey>> {}

export class LiveSettings {
  static {
    for (const s of LIVE_SETTINGS) {
      Object.defineProperty(this.prototype, s.key, { get(this: LiveSettings) { return this.value(s.key, s.name); } });
    }
  }

  constructor(private readonly config: Config, private readonly projection: Projection) {}

  private value<K extends LiveKey>(key: K, name: LiveName): Config[K] {
    const v = this.projection.state.settings[name];
    return (v === undefined ? this.config[key] : v) as Config[K];
  }

  /** The free tier's default limits per key (OpenRouter's X-RateLimit-Limit, once seen, wins per key). */
  freeLimits(): FreeLimits {
    return { perWindow: this.freeRequestsPerWindow, windowMs: this.freeWindowSeconds * 1000, perDay: this.freeRequestsPerDay };
  }

  /** The admin view: every live setting by its API name. */
  all(): LiveValues {
    const out: Record<string, unknown> = {};
    for (const s of LIVE_SETTINGS) out[s.name] = this.value(s.key, s.name);
    return out as LiveValues;
  }

  /** The failure policy's view of the settings. */
  policy() {
    return {
      cooldownSeconds: this.keyFailureCooldownSeconds,
      maxCooldownSeconds: this.config.keyMaxCooldownSeconds,
      maxConsecutiveFailures: this.keyMaxConsecutiveFailures,
    };
  }
}

