// The pool folded strictly in log (seq) order: what every replica agrees on, the only fold of the
// others' events, the base of the live pool (src/replica/unsettled.ts) and what the lease holder
// writes into snapshots.

import { evolve } from '../domain/evolve';
import { initialState, type PoolState } from '../domain/pool-state';
import type { Decoded } from '../events/decode';
import type { StoredEvent } from '../events/types';
import { SeqOrder } from './seq-order';

export class LogOrderState {
  /** Events folded since the last snapshot written from this state. */
  sinceSnapshot = 0;
  /** Events folded by this process. */
  total = 0;

  constructor(public state: PoolState, readonly order: SeqOrder) {}

  static empty(): LogOrderState { return new LogOrderState(initialState(), new SeqOrder()); }

  /** Every seq up to this is folded (or was given up as a hole). */
  get seq(): number { return this.order.watermark; }

  /** Keeps the rows not seen before; returns them. */
  push(rows: readonly Decoded[], now: number): Decoded[] { return this.order.push(rows, now); }

  /** Folds what is next in seq order; returns the events folded, in order. */
  advance(now: number, waitMs: number): StoredEvent[] {
    const out: StoredEvent[] = [];
    for (const row of this.order.drain(now, waitMs)) {
      if (!row.ok) continue;
      this.state = evolve(this.state, row.event);
      out.push(row.event);
    }
    this.sinceSnapshot += out.length;
    this.total += out.length;
    return out;
  }
}
