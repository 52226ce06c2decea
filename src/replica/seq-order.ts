// Puts the rows read from a shared MySQL log back in seq order. InnoDB can make a smaller seq visible
// after a larger one (concurrent transactions), so a missing seq is a hole held open until the rows
// above it have been visible for `waitMs`; then it is given up as never committed (a rolled-back
// append). Pure: the caller passes the time.

import type { Decoded } from '../events/decode';

interface Slot { row: Decoded | null; seenAt: number } // row null: already folded (a snapshot's `above`)

export class SeqOrder {
  private readonly slots = new Map<number, Slot>();
  /** Seqs given up as holes so far. */
  skipped = 0;

  /** `watermark`: every seq up to it is folded; `folded`: seqs above it that are folded too. */
  constructor(public watermark = 0, folded: Iterable<number> = [], now = 0) {
    for (const seq of folded) if (seq > watermark) this.slots.set(seq, { row: null, seenAt: now });
  }

  /** Rows waiting for a smaller seq. */
  get waiting(): number { return this.slots.size; }

  /** The rows waiting for a smaller seq, in seq order. */
  waitingRows(): Decoded[] {
    const out: Decoded[] = [];
    for (const seq of [...this.slots.keys()].sort((a, b) => a - b)) {
      const row = this.slots.get(seq)!.row;
      if (row) out.push(row);
    }
    return out;
  }

  /** The highest seq known (folded or waiting). */
  get high(): number {
    let high = this.watermark;
    for (const seq of this.slots.keys()) if (seq > high) high = seq;
    return high;
  }

  /** Keeps the rows not seen before; returns them. */
  push(rows: readonly Decoded[], now: number): Decoded[] {
    const added: Decoded[] = [];
    for (const row of rows) {
      const seq = seqOf(row);
      if (seq > this.watermark && !this.slots.has(seq)) { this.slots.set(seq, { row, seenAt: now }); added.push(row); }
    }
    return added;
  }

  /** The rows that are next in seq order; a hole is skipped once the row above it is `waitMs` old. */
  drain(now: number, waitMs: number): Decoded[] {
    const out: Decoded[] = [];
    while (this.slots.size > 0) {
      const next = this.watermark + 1;
      const slot = this.slots.get(next);
      if (slot) {
        this.slots.delete(next);
        this.watermark = next;
        if (slot.row) out.push(slot.row);
        continue;
      }
      const low = this.lowest();
      if (now - this.slots.get(low)!.seenAt < waitMs) break;
      this.skipped += low - next;
      this.watermark = low - 1;
    }
    return out;
  }

  /** Missing seqs from the watermark up to `upTo` (at most `max`), to ask the database for again. */
  missing(upTo: number, max: number): number[] {
    const out: number[] = [];
    const end = Math.min(upTo, this.watermark + 100_000);
    for (let s = this.watermark + 1; s <= end && out.length < max; s++) if (!this.slots.has(s)) out.push(s);
    return out;
  }

  private lowest(): number {
    let low = Infinity;
    for (const seq of this.slots.keys()) if (seq < low) low = seq;
    return low;
  }
}

export function seqOf(row: Decoded): number { return row.ok ? row.event.seq : row.seq; }
