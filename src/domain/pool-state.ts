// The folded state of the key pool. Plain data, so it serialises into a snapshot as is.

import type { FailureClass } from '../events/types';
import { exhausted, type Credit } from './credit';

export type KeyStatus = 'active' | 'cooling' | 'inactive';
export const KEY_STATUSES: readonly KeyStatus[] = ['active', 'cooling', 'inactive'];

export interface KeyState {
  id: string;
  masked: string;
  suffix: string;
  weight: number;
  active: boolean; // false once deactivated, until a probe or an admin brings it back
  coolUntil: number | null; // ms since epoch
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
  if (!key.active || exhausted(key.credit)) return 'inactive'; // a spent limit: back when a check shows room
  if (key.coolUntil !== null && key.coolUntil > now) return 'cooling';
  return 'active';
}

export function isSelectable(key: KeyState, now: number): boolean {
  return keyStatus(key, now) === 'active';
}
