// Convergence across replicas. A replica folds its own outcomes before they have a seq and others'
// events when it reads them, so events of one key may be folded in an order that differs from the log's
// (a failure count against a success reset, a deactivation against a reactivation). Every key an event
// touched is remembered; once all of that key's events are durable and the log-order state has passed
// them, the live key is set to the log-order result. Keys nobody touches are left alone.

import type { KeyState, PoolState } from '../domain/pool-state';
import type { Folded } from '../projection/projection';

/** What the reconciler needs from the live projection. */
export interface LiveView {
  state: PoolState;
  readonly durable: { records: number; seq: number };
  replaceKey(id: string, key: KeyState | null): void;
  replaceSettings(settings: Record<string, unknown>): void;
}

interface Touch {
  local: number; // number of this key's newest local outcome (0: none)
  seenLocal: number; // the `local` value `need` accounts for
  need: number; // the log-order state must reach this seq first
}

export class Reconciler {
  private readonly touched = new Map<string, Touch>();
  private settingsNeed = 0;
  /** Keys set to their log-order state because the live fold differed. */
  corrected = 0;

  constructor(private readonly live: LiveView) {}

  /** Keys waiting for their events to be durable and read back in order. */
  get pending(): number { return this.touched.size; }

  /** A local outcome (numbered `record`) folded before it has a seq. */
  touchLocal(id: string, record: number): void {
    const t = this.touch(id);
    t.local = Math.max(t.local, record);
  }

  /** A durable event folded live. */
  touchStored(id: string | null, seq: number, settings = false): void {
    if (settings) this.settingsNeed = Math.max(this.settingsNeed, seq);
    if (id === null) return;
    const t = this.touch(id);
    t.need = Math.max(t.need, seq);
  }

  /** Corrects every settled key to the log-order state; returns how many differed. */
  run(ordered: PoolState, orderedSeq: number): number {
    let fixed = 0;
    const durable = this.live.durable;
    for (const [id, t] of this.touched) {
      if (t.local > durable.records) continue; // an outcome of this key is not durable yet
      if (t.local !== t.seenLocal) {
        // Its outcomes are durable now, at seqs no higher than the newest durable one.
        t.need = Math.max(t.need, durable.seq);
        t.seenLocal = t.local;
      }
      if (t.need > orderedSeq) continue;
      this.touched.delete(id);
      const want = ordered.keys[id] ?? null;
      if (sameKey(want, this.live.state.keys[id] ?? null)) continue;
      this.live.replaceKey(id, want ? { ...want } : null);
      fixed++;
    }
    if (this.settingsNeed > 0 && this.settingsNeed <= orderedSeq) {
      this.settingsNeed = 0;
      if (!sameRecord(ordered.settings, this.live.state.settings)) {
        this.live.replaceSettings({ ...ordered.settings });
        fixed++;
      }
    }
    this.corrected += fixed;
    return fixed;
  }

  private touch(id: string): Touch {
    let t = this.touched.get(id);
    if (!t) { t = { local: 0, seenLocal: 0, need: 0 }; this.touched.set(id, t); }
    return t;
  }
}

/** Remembers every key the live projection folds an event for, until the reconciler has checked it. */
/** What it needs of an Observable (rxjs stays inside src/projection). */
interface Folds { subscribe(o: { next(f: Folded): void }): { unsubscribe(): void } }

export function watchFolds(live: { folded: Folds; afterLocalFold(fn: (keyId: string, record: number) => void): () => void }, r: Reconciler): { unsubscribe(): void } {
  // Local outcomes through the typed hook, at their fold (the proxy's hot path runs no subscriber);
  // `folded` announces them again once durable, which the reconciler does not need.
  const unhook = live.afterLocalFold((id, record) => r.touchLocal(id, record));
  const sub = live.folded.subscribe({
    next: ({ event, local }) => {
      if (!local) r.touchStored(event.key_id, 'seq' in event ? event.seq : 0, event.type === 'SettingsChanged');
    },
  });
  return { unsubscribe: () => { unhook(); sub.unsubscribe(); } };
}

export function sameKey(a: KeyState | null, b: KeyState | null): boolean {
  if (a === null || b === null) return a === b;
  return sameRecord(a as unknown as Record<string, unknown>, b as unknown as Record<string, unknown>);
}

function sameRecord(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.is(a[k], b[k]) || JSON.stringify(a[k]) === JSON.stringify(b[k]));
}
