// A min-heap of (time, id): which key comes back first. Stale entries are allowed; the owner checks
// each popped entry against what it currently expects for that id.

export class TimeHeap {
  private readonly at: number[] = [];
  private readonly ids: string[] = [];

  get size(): number { return this.at.length; }
  peekAt(): number | null { return this.at.length ? this.at[0] : null; }
  top(): string | null { return this.ids.length ? this.ids[0] : null; }

  push(at: number, id: string): void {
    this.at.push(at);
    this.ids.push(id);
    let i = this.at.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.at[p] <= at) break;
      this.swap(i, p);
      i = p;
    }
  }

  /** Removes and returns the earliest entry. */
  pop(): { at: number; id: string } | null {
    if (this.at.length === 0) return null;
    const top = { at: this.at[0], id: this.ids[0] };
    const lastAt = this.at.pop()!;
    const lastId = this.ids.pop()!;
    if (this.at.length) {
      this.at[0] = lastAt;
      this.ids[0] = lastId;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.at.length && this.at[l] < this.at[m]) m = l;
        if (r < this.at.length && this.at[r] < this.at[m]) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }

  private swap(a: number, b: number): void {
    [this.at[a], this.at[b]] = [this.at[b], this.at[a]];
    [this.ids[a], this.ids[b]] = [this.ids[b], this.ids[a]];
  }
}
