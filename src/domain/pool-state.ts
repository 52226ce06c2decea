// The folded state of the key pool. Plain data, so it serialises into a snapshot as is.

import type { FailureClass } from '../events/types';
import { exhausted, type Credit } from './credit';

export type KeyStatus = 'active' | 'cooling' | 'inactive' | 'disabled';
export const KEY_STATUSES: readonly KeyStatus[] = ['active', 'cooling', 'inactive', 'disabled'];

export interface KeyState {
  id: string;
  masked: string;
  suffix: string;
  weight: number;
  active: boolean; // false once deactivated, until a probe or an admin brings it back
  /** Turned off by an admin: never probed, never brought back by the system, only by an admin. */
  disabled: boolean;
  coolUntil: number | null; // ms since epoch
  /** Not used for `:free` models before this (its free window or day is spent); paid models still go. */
  freeCoolUntil: number | null;
  /** Free-scope limits that came back right after the previous one ended (escalates the rest). */
  freeStrikes: number;
  /** Learnt from X-RateLimit-Limit on OpenRouter's free-tier 429s; null: the configured default. */
  freeLimitWindow: number | null;
  freeLimitDay: number | null;
  /** `:free` requests sent with this key on UTC day `freeDay` (days since the epoch), from the log. */
  freeDay: number;
  freeDayCount: number;
  /** The last `:free` attempt the log knows of (after a restart the window it was in counts as full). */
  lastFreeAt: number | null;
  consecutiveFailures: number;
  totalRequests: number;
  totalFailures: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  lastUsedAt: number | null;
  lastFailureAt: number | null;
  lastFailureClass: FailureClass | null;
  lastError: string | null;
  addedAt: number;
  // Added with the request log (issue 10); absent in older snapshots.
  /** The last meaningful GET /key answer, and when it was recorded. */
  credit?: (Credit & { checked_at: number }) | null;
  labels?: string[];
  /** When the key last went inactive; null while it is active. */
  inactiveSince?: number | null;
}

export interface Totals {
  requests: number;
  failures: number;
  tokens: number;
}

export interface PoolState {
  keys: Record<string, KeyState>;
  /** Keys ever added (deleted ones too): the seeding runs only while this is 0. */
  everAdded: number;
  /** The masked form of every key ever added, so the history can name deleted keys. */
  names: Record<string, string>;
  /** Live settings changed through the admin (non-secret values only). */
  settings: Record<string, unknown>;
  /** Bumped when a secret setting changed, so the edges reload it from the secret store. */
  secretsVersion: number;
  totals: Totals;
}

export function initialState(): PoolState {
  return { keys: {}, everAdded: 0, names: {}, settings: {}, secretsVersion: 0, totals: { requests: 0, failures: 0, tokens: 0 } };
}

export function keyStatus(key: KeyState, now: number): KeyStatus {
  if (key.disabled) return 'disabled';
  if (!key.active || exhausted(key.credit)) return 'inactive'; // a spent limit: back when a check shows room
  if (key.coolUntil !== null && key.coolUntil > now) return 'cooling';
  return 'active';
}

export function isSelectable(key: KeyState, now: number): boolean {
  return keyStatus(key, now) === 'active';
}

/** Whether the key may serve a `:free` model now, as far as the log knows (pacing aside). */
export function isFreeSelectable(key: KeyState, now: number): boolean {
  return isSelectable(key, now) && !(key.freeCoolUntil !== null && key.freeCoolUntil > now);
}

export const DAY_MS = 86_400_000;
export const utcDay = (ms: number): number => Math.floor(ms / DAY_MS);

/** Fields added after the first snapshots were written get their neutral value. */
export function withDefaults(key: KeyState): KeyState {
  key.disabled ??= false;
  key.freeCoolUntil ??= null;
  key.freeStrikes ??= 0;
  key.freeLimitWindow ??= null;
  key.freeLimitDay ??= null;
  key.freeDay ??= 0;
  key.freeDayCount ??= 0;
  key.lastFreeAt ??= null;
  return key;
}

/** A copy of a key that shares nothing mutable with it. */
export function cloneKey(key: KeyState): KeyState {
  const copy = { ...key };
  if (key.credit) copy.credit = { ...key.credit };
  if (key.labels) copy.labels = [...key.labels];
  return copy;
}
