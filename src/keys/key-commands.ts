// The commands that change the key pool, shared by the admin API and the first-start seeding.
// Each is durable before it returns.

import { keyId, keySuffix, maskKey, parseKeyLines, MAX_WEIGHT, MIN_WEIGHT } from '../domain/key-lines';
import { decideAdd, decideDelete, decideSetActive, decideWeight } from '../domain/decide-key';
import type { KeyState } from '../domain/pool-state';
import type { Actor, KeyAccessAction, KeyAccessOutcome, NewEvent } from '../events/types';
import type { Projection } from '../projection/projection';
import type { SecretStore } from '../store/secret-store';
import type { SecretCache } from './secret-cache';

export interface AddReport {
  added_count: number; duplicate_count: number; invalid_count: number;
  error_messages: string[]; warnings: string[];
  /** Line numbers (from 1) that held an invalid entry, so a form can keep just those for fixing. */
  invalid_lines: number[];
  added: { id: string; masked: string; weight: number }[];
}

export type Resolved =
  | { ok: true; key: KeyState }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'ambiguous'; candidates: { id: string; masked: string }[] };

/** Who asked and how they named the key: a command that changes nothing is still recorded with it. */
export interface AccessAudit { client: string; ref: string }

export class KeyCommands {
  constructor(
    private readonly projection: Projection,
    private readonly secrets: SecretStore,
    private readonly cache: SecretCache,
  ) {}

  async addKeys(text: string, actor: Actor): Promise<AddReport> {
    const report: AddReport = { added_count: 0, duplicate_count: 0, invalid_count: 0, error_messages: [], warnings: [], invalid_lines: [], added: [] };
    const wanted: { line: number; id: string; secret: string; weight: number; masked: string; suffix: string }[] = [];
    const seen = new Set<string>();
    const invalidLines = new Set<number>(); // a Set: 200,000 bad lines were quadratic with an array
    for (const l of parseKeyLines(text)) {
      if (!l.ok) {
        report.invalid_count++;
        report.error_messages.push(l.error);
        invalidLines.add(l.line);
        continue;
      }
      const id = keyId(l.secret);
      if (seen.has(id)) {
        report.duplicate_count++;
        report.error_messages.push(`line ${l.line}: ${maskKey(l.secret)} is repeated in this list`);
        continue;
      }
      seen.add(id);
      if (l.warning) report.warnings.push(l.warning);
      wanted.push({ line: l.line, id, secret: l.secret, weight: l.weight, masked: maskKey(l.secret), suffix: keySuffix(l.secret) });
    }
    const fresh = wanted.filter((w) => !this.projection.state.keys[w.id]);
    const now = this.projection.now();
    await this.secrets.putMany(fresh, now); // before the event: a key is never pickable without its secret
    const { result } = await this.projection.command((state) => {
      const { events, added, duplicates } = decideAdd(state, wanted, actor, now);
      return { events, result: { added, dups: duplicates } };
    });
    for (const w of result.added) {
      this.cache.set(w.id, w.secret);
      report.added.push({ id: w.id, masked: w.masked, weight: w.weight });
    }
    for (const w of result.dups) {
      report.error_messages.push(`line ${w.line}: ${w.masked} is already in the pool (id ${w.id})`);
    }
    report.invalid_lines = [...invalidLines];
    report.added_count = result.added.length;
    report.duplicate_count += result.dups.length;
    return report;
  }

  /**
   * A key named by its id or by the suffix the dashboard shows (its `key_suffix`, which is also the end
   * of `masked`), never by any other part of its secret: matching a suffix of any length let a session
   * read a whole key back one character at a time.
   */
  resolve(ref: string): Resolved {
    const keys = this.projection.state.keys;
    const byId = keys[ref];
    if (byId) return { ok: true, key: byId };
    const found = Object.values(keys).filter((k) => shownSuffix(k) === ref);
    if (found.length === 1) return { ok: true, key: found[0] };
    if (found.length === 0) return { ok: false, reason: 'not_found' };
    return { ok: false, reason: 'ambiguous', candidates: found.map((k) => ({ id: k.id, masked: k.masked })) };
  }

  /** Records an admin key command that changed nothing (an unknown reference, or no change to make). */
  async recordAccess(keyId: string | null, action: KeyAccessAction, outcome: KeyAccessOutcome, audit: AccessAudit): Promise<void> {
    const now = this.projection.now();
    await this.projection.command(() => ({ events: [accessed(now, keyId, action, outcome, audit)], result: null }));
  }

  /** Deletes the keys that exist; returns the ids deleted. */
  async deleteKeys(ids: readonly string[], actor: Actor): Promise<string[]> {
    const now = this.projection.now();
    const { result } = await this.projection.command((state) => {
      const events = decideDelete(state, ids, actor, now);
      return { events, result: events.map((e) => e.key_id as string) };
    });
    await this.secrets.delete(result);
    return result;
  }

  async setWeight(id: string, weight: number, actor: Actor, audit?: AccessAudit): Promise<KeyState | null> {
    if (!Number.isInteger(weight) || weight < MIN_WEIGHT || weight > MAX_WEIGHT) throw new RangeError(`weight must be an integer from ${MIN_WEIGHT} to ${MAX_WEIGHT}`);
    const now = this.projection.now();
    await this.projection.command((state) => {
      const events = decideWeight(state, id, weight, actor, now);
      if (events.length === 0 && audit && state.keys[id]) events.push(accessed(now, id, 'weight', 'unchanged', audit));
      return { events, result: null };
    });
    return this.projection.state.keys[id] ?? null;
  }

  async setActive(id: string, active: boolean, actor: Actor, reason = 'deactivated by the admin', audit?: AccessAudit): Promise<KeyState | null> {
    const now = this.projection.now();
    await this.projection.command((state) => {
      const events = decideSetActive(state, id, active, actor, now, reason);
      if (events.length === 0 && audit && state.keys[id]) events.push(accessed(now, id, active ? 'activate' : 'deactivate', 'unchanged', audit));
      return { events, result: null };
    });
    return this.projection.state.keys[id] ?? null;
  }
}

/** The suffix the key table shows: `key_suffix`, or the end of the mask for short keys. */
function shownSuffix(k: KeyState): string {
  if (k.suffix) return k.suffix;
  const cut = k.masked.lastIndexOf('…');
  return cut === -1 ? '' : k.masked.slice(cut + 1);
}

function accessed(at: number, keyId: string | null, action: KeyAccessAction, outcome: KeyAccessOutcome, audit: AccessAudit): NewEvent {
  return { type: 'AdminKeyAccessed', at, key_id: keyId, actor: 'admin', data: { action, outcome, ref: safeRef(audit.ref), client: audit.client } };
}

/** The reference as typed, unless it could be (part of) a secret pasted by mistake: then only its mask. */
function safeRef(ref: string): string {
  return ref.length <= 16 ? ref : maskKey(ref);
}
