// Which seqs of the log are folded. With one writer they arrive in order; with several replicas on
// MySQL a smaller seq can become visible after a larger one, so holes are held open for a while.

export class SeqTracker {
  private readonly above = new Set<number>();
  private holeSince: number | null = null;

  constructor(public watermark = 0, above: Iterable<number> = []) {
    for (const s of above) this.above.add(s);
    this.compact();
  }

  has(seq: number): boolean { return seq <= this.watermark || this.above.has(seq); }

  mark(seq: number, now = 0): void {
    if (this.has(seq)) return;
    this.above.add(seq);
    this.compact();
    if (this.above.size > 0 && this.holeSince === null) this.holeSince = now;
  }

  /** Everything up to `seq` is folded (a replica's log-order state has passed it). */
  advanceTo(seq: number): void {
    if (seq <= this.watermark) return;
    this.watermark = seq;
    for (const s of this.above) if (s <= seq) this.above.delete(s);
    this.compact();
  }

  /** Seqs above the watermark that are folded: a hole lies below each. */
  aboveList(): number[] { return [...this.above].sort((a, b) => a - b); }

  get hasHole(): boolean { return this.above.size > 0; }

  /** Gives up on holes older than waitMs; returns the seqs skipped, so a late arrival can still be fetched. */
  skipOldHoles(now: number, waitMs: number): number[] {
    if (this.holeSince === null || now - this.holeSince < waitMs) return [];
    const skipped: number[] = [];
    const next = Math.min(...this.above);
    for (let s = this.watermark + 1; s < next && skipped.length < 10_000; s++) skipped.push(s);
    this.watermark = next - 1;
    this.compact();
    this.holeSince = this.above.size > 0 ? now : null;
    return skipped;
  }

  private compact(): void {
    while (this.above.delete(this.watermark + 1)) this.watermark++;
    if (this.above.size === 0) this.holeSince = null;
  }
}
