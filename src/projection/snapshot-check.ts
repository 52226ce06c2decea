// A snapshot is a shortcut, never the truth: before the newest one is used it is checked against the
// log, and one that is unreadable, of an unknown version, or that disagrees with the log is ignored
// with a warning that names it; the start then replays the whole log. (A snapshot whose state was
// `{"keys":{}}` once started an empty pool silently, and a snapshot seq beyond the log hid later
// acknowledged changes.)

import { initialState, type PoolState } from '../domain/pool-state';
import type { Log } from '../log';
import type { EventStore, LogFacts } from '../store/event-store';
import { SNAPSHOT_VERSION, type SnapshotStore, type StoredSnapshot } from '../store/snapshot-store';

export interface TrustedSnapshot { snapshot: StoredSnapshot; state: PoolState }

/** The newest snapshot when it holds up against the log, else null (after a warning naming it). */
export async function trustedSnapshot(snapshots: SnapshotStore, events: EventStore, log: Log): Promise<TrustedSnapshot | null> {
  const latest = await snapshots.latest();
  if (!latest) return null;
  const ignore = (id: number, seq: number, reason: string) => {
    log.warn({ snapshot_id: id, snapshot_seq: seq, reason }, `ignoring snapshot ${id} (seq ${seq}): ${reason}; replaying the whole log`);
    return null;
  };
  if (!latest.ok) return ignore(latest.id, latest.seq, `it is unreadable: ${latest.error}`);
  const snap = latest.snapshot;
  if (snap.version !== SNAPSHOT_VERSION) return ignore(snap.id, snap.seq, `its version ${snap.version} is not the one this version reads (${SNAPSHOT_VERSION})`);
  const parsed = parseState(snap.state);
  if (typeof parsed === 'string') return ignore(snap.id, snap.seq, `it is unreadable: ${parsed}`);
  const problem = disagreement(snap, parsed, await events.facts(snap.seq, snap.above));
  if (problem) return ignore(snap.id, snap.seq, problem);
  return { snapshot: snap, state: parsed };
}

/** Why the snapshot's state cannot be what the log says up to its seq, or null when it can be. */
export function disagreement(snap: Pick<StoredSnapshot, 'seq'>, state: PoolState, facts: LogFacts): string | null {
  if (snap.seq > facts.maxSeq) return `its seq is beyond the log's last seq ${facts.maxSeq}`;
  const keys = Object.keys(state.keys).length;
  if (keys !== facts.liveKeys) return `it holds ${keys} keys where the log up to its seq has ${facts.liveKeys}`;
  if ((state.everAdded > 0) !== (facts.keysAdded > 0)) return `it says ${state.everAdded} keys were ever added where the log has ${facts.keysAdded} KeyAdded events`;
  return null;
}

function parseState(text: string): PoolState | string {
  let raw: unknown;
  try { raw = JSON.parse(text); } catch (err) { return `its state is not JSON (${(err as Error).message})`; }
  if (!isObject(raw)) return 'its state is not an object';
  const state = { ...initialState(), ...raw } as PoolState;
  if (!isObject(state.keys) || !isObject(state.names) || !isObject(state.settings) || !isObject(state.totals)) return 'its state lacks keys, names, settings or totals';
  if (typeof state.everAdded !== 'number' || typeof state.secretsVersion !== 'number') return 'its state lacks everAdded or secretsVersion';
  for (const [id, k] of Object.entries(state.keys)) {
    if (!isObject(k) || k.id !== id || typeof k.weight !== 'number' || typeof k.active !== 'boolean') return `its key ${id} is malformed`;
  }
  return state;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
