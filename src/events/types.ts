// The event log's vocabulary: every change to the key pool is one of these, in the past tense.
// No payload ever carries a secret: keys are named by their id (a hash prefix) and a masked form.

export type FailureClass = 'credential' | 'quota' | 'rate_limit' | 'transient' | 'caller';
export type ReactivatedBy = 'probe' | 'cooldown' | 'admin';
/** What a limit takes out (DESIGN.md "Key lifecycle and limits"): the whole key, the key for `:free` models, or only the model. */
export type LimitScope = 'key' | 'free' | 'model';
export type Actor = 'admin' | 'proxy' | 'probe' | 'system' | 'seed';

export interface KeyAddedData { weight: number; masked: string; suffix: string }
export interface KeyUsedData {
  count: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  last_used_at: number; // ms since epoch
  free?: number; // how many of `count` were `:free` requests (counted against the key's daily free quota)
  last_free_at?: number; // the last of those, when coalesced with later paid ones (default: the event's time)
}
export interface KeyFailedData {
  class: FailureClass;
  status: number | null; // upstream HTTP status, null for network errors
  reason: string; // short and scrubbed
  consecutive: number; // the key's consecutive failures after this one, as seen by the writer
  count?: number; // coalesced transient failures (default 1)
  free?: number; // how many of them were `:free` requests (OpenRouter counts refused ones too)
  last_free_at?: number; // the last of those, when coalesced with later paid ones (default: the event's time)
  scope?: LimitScope; // for limits: only 'key' may escalate; absent means 'key'
}
export interface KeyCooledData { until: number; seconds: number }
export interface KeyDeactivatedData { reason: string }
/** The key is out of `:free` requests until `until` (ms); `limit` is OpenRouter's X-RateLimit-Limit for `window`. */
export interface KeyFreeCooledData {
  until: number; seconds: number; window: 'minute' | 'day'; limit: number | null; strikes: number; reason: string;
}
export interface KeyReactivatedData { by: ReactivatedBy }
export interface KeyWeightChangedData { weight: number; previous: number }
export interface KeyDeletedData { masked: string }
export interface KeyProbedData { ok: boolean; status: number | null; detail: string }
/** `previous` holds the old value of each changed plain setting (never of a secret). */
export interface SettingsChangedData { changes: Record<string, unknown>; previous?: Record<string, unknown> }
export interface AdminLoginData { client: string }
/** What OpenRouter's GET /key said about the key's credit (recorded only when it changed meaningfully). */
export interface KeyCreditCheckedData {
  limit: number | null; limit_remaining: number | null; limit_reset: string | null;
  usage: number | null; usage_daily: number | null; usage_weekly: number | null; usage_monthly: number | null;
  is_free_tier: boolean | null;
}
/** The key's labels after an admin's change (account, owner, free/paid…). */
export interface KeyLabelsChangedData { labels: string[]; previous: string[] }
export interface AdminLogoutData { client: string }
/**
 * An admin key command that changed nothing: an unchanged weight, a key already in the asked state,
 * or a reference that named no key. Recorded so probing the key routes leaves a trace in the history.
 */
export type KeyAccessAction = 'weight' | 'activate' | 'deactivate' | 'delete' | 'check';
export type KeyAccessOutcome = 'unchanged' | 'not_found' | 'ambiguous';
export interface AdminKeyAccessedData { action: KeyAccessAction; outcome: KeyAccessOutcome; ref: string; client: string }

interface EventShapes {
  KeyAdded: KeyAddedData;
  KeyUsed: KeyUsedData;
  KeyFailed: KeyFailedData;
  KeyCooled: KeyCooledData;
  KeyFreeCooled: KeyFreeCooledData;
  KeyDeactivated: KeyDeactivatedData;
  KeyReactivated: KeyReactivatedData;
  KeyWeightChanged: KeyWeightChangedData;
  KeyDeleted: KeyDeletedData;
  KeyProbed: KeyProbedData;
  SettingsChanged: SettingsChangedData;
  AdminLoginSucceeded: AdminLoginData;
  AdminLoginFailed: AdminLoginData;
  AdminLoggedOut: AdminLogoutData;
  AdminKeyAccessed: AdminKeyAccessedData;
  KeyCreditChecked: KeyCreditCheckedData;
  KeyLabelsChanged: KeyLabelsChangedData;
}

export type EventType = keyof EventShapes;
export const EVENT_TYPES = [
  'KeyAdded', 'KeyUsed', 'KeyFailed', 'KeyCooled', 'KeyFreeCooled', 'KeyDeactivated', 'KeyReactivated',
  'KeyWeightChanged', 'KeyDeleted', 'KeyProbed', 'SettingsChanged',
  'AdminLoginSucceeded', 'AdminLoginFailed', 'AdminLoggedOut', 'AdminKeyAccessed', 'KeyCreditChecked', 'KeyLabelsChanged',
] as const satisfies readonly EventType[];

/** An event before it is stored: no seq yet. */
export type NewEvent = {
  [T in EventType]: {
    type: T;
    at: number; // ms since epoch, stamped by the edge that created it
    key_id: string | null;
    actor: Actor;
    data: EventShapes[T];
  };
}[EventType];

/** A stored event: the log gave it a seq; origin names the process that wrote it. */
export type StoredEvent = NewEvent & { seq: number; origin: string };

export type EventOf<T extends EventType> = Extract<NewEvent, { type: T }>;
