// Settings that change at run time: the environment gives the start value, an admin change (a
// SettingsChanged event) overrides it, on every replica, and survives a restart through the log.

import type { Config, LogLevel } from '../config';
import type { FreeLimits } from '../domain/free-pacer';
import type { Projection } from '../projection/projection';

export const LIVE_SETTINGS = {
  default_model: 'defaultModel',
  request_timeout_seconds: 'requestTimeoutSeconds',
  key_failure_cooldown_seconds: 'keyFailureCooldownSeconds',
  key_max_consecutive_failures: 'keyMaxConsecutiveFailures',
  retry_with_new_key_count: 'retryWithNewKeyCount',
  free_requests_per_window: 'freeRequestsPerWindow',
  free_window_seconds: 'freeWindowSeconds',
  free_requests_per_day: 'freeRequestsPerDay',
  wait_for_key_ms: 'waitForKeyMs',
  health_check_interval_seconds: 'healthCheckIntervalSeconds',
  log_level: 'logLevel',
} as const satisfies Record<string, keyof Config>;

export type LiveSettingName = keyof typeof LIVE_SETTINGS;

export class LiveSettings {
  constructor(private readonly config: Config, private readonly projection: Projection) {}

  private value<T>(name: LiveSettingName): T {
    const v = this.projection.state.settings[name];
    return (v === undefined ? this.config[LIVE_SETTINGS[name]] : v) as T;
  }

  get defaultModel(): string { return this.value('default_model'); }
  get requestTimeoutSeconds(): number { return this.value('request_timeout_seconds'); }
  get keyFailureCooldownSeconds(): number { return this.value('key_failure_cooldown_seconds'); }
  get keyMaxConsecutiveFailures(): number { return this.value('key_max_consecutive_failures'); }
  get retryWithNewKeyCount(): number { return this.value('retry_with_new_key_count'); }
  get waitForKeyMs(): number { return this.value('wait_for_key_ms'); }
  /** The free tier's default limits per key (OpenRouter's X-RateLimit-Limit, once seen, wins per key). */
  freeLimits(): FreeLimits {
    return {
      perWindow: this.value('free_requests_per_window'),
      windowMs: this.value<number>('free_window_seconds') * 1000,
      perDay: this.value('free_requests_per_day'),
    };
  }
  get healthCheckIntervalSeconds(): number { return this.value('health_check_interval_seconds'); }
  get logLevel(): LogLevel { return this.value('log_level'); }

  /** The admin view: every live setting by its API name. */
  all(): Record<LiveSettingName, unknown> {
    const out = {} as Record<LiveSettingName, unknown>;
    for (const name of Object.keys(LIVE_SETTINGS) as LiveSettingName[]) out[name] = this.value(name);
    return out;
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
