// Weighted random choice over the available keys in O(log n) per pick and per change:
// a Fenwick (binary indexed) tree over slots, one slot per key, weight 0 meaning "not selectable".

export type Random = () => number; // uniform in [0, 1)

export class WeightedIndex {
  private tree: Float64Array;
  private weights: Float64Array;
  private ids: (string | undefined)[];
  private readonly slotOf = new Map<string, number>();
  private readonly free: number[] = [];
  private used = 0;
  private sum = 0;

  constructor(capacity = 16) {
    const cap = Math.max(1, capacity);
    this.tree = new Float64Array(cap + 1);
    this.weights = new Float64Array(cap);
    this.ids = new Array(cap);
  }

  get total(): number { return this.sum; }
  get size(): number { return this.slotOf.size; }
  weightOf(id: string): number {
    const slot = this.slotOf.get(id);
    return slot === undefined ? 0 : this.weights[slot];
  }

  /** Sets a key's selectable weight; 0 removes it from selection. */
  set(id: string, weight: number): void {
    const w = weight > 0 ? weight : 0;
    let slot = this.slotOf.get(id);
    if (slot === undefined) {
      if (w === 0) return;
      slot = this.allocate(id);
    }
    const delta = w - this.weights[slot];
    if (delta !== 0) this.add(slot, delta);
    if (w === 0) this.release(id, slot);
  }

  delete(id: string): void { this.set(id, 0); }

  /** Picks a key with probability proportional to its weight, never one in `exclude`. */
  pick(random: Random, exclude?: readonly string[]): string | null {
    if (this.sum <= 1e-9) return null;
    if (!exclude || exclude.length === 0) return this.find(random() * this.sum);
    let excluded = 0;
    for (const id of exclude) excluded += this.weightOf(id);
    if (excluded === 0) return this.find(random() * this.sum);
    // Redrawing until the pick is not excluded gives exactly the distribution without the excluded
    // keys; while they hold less than half the weight, a few draws beat editing the tree.
    if (excluded * 2 < this.sum) {
      for (let i = 0; i < 8; i++) {
        const id = this.find(random() * this.sum);
        if (id !== null && !exclude.includes(id)) return id;
      }
    }
    return this.pickWithout(random, exclude);
  }

  /** Takes the excluded keys out of the tree for one search and puts them back. */
  private pickWithout(random: Random, exclude: readonly string[]): string | null {
    const restore: [number, number][] = [];
    for (const id of exclude) {
      const slot = this.slotOf.get(id);
      if (slot === undefined || this.weights[slot] === 0) continue;
      restore.push([slot, this.weights[slot]]);
      this.add(slot, -this.weights[slot]);
    }
    const chosen = this.sum > 1e-9 ? this.find(random() * this.sum) : null;
    for (const [slot, w] of restore) this.add(slot, w);
    return chosen;
  }

  private find(target: number): string | null {
    const n = this.weights.length;
    let pos = 0;
    let rest = target;
    for (let step = highestPowerOfTwo(n); step > 0; step >>= 1) {
      const next = pos + step;
      if (next <= n && this.tree[next] <= rest) {
        pos = next;
        rest -= this.tree[next];
      }
    }
    // pos is the count of slots whose prefix sum is <= target; float drift can point at an empty slot.
    for (let slot = Math.min(pos, n - 1); slot >= 0; slot--) {
      if (this.weights[slot] > 0) return this.ids[slot]!;
    }
    return null;
  }

  private add(slot: number, delta: number): void {
    this.weights[slot] += delta;
    this.sum += delta;
    for (let i = slot + 1; i < this.tree.length; i += i & -i) this.tree[i] += delta;
  }

  private allocate(id: string): number {
    let slot = this.free.pop();
    if (slot === undefined) {
      if (this.used === this.weights.length) this.grow();
      slot = this.used++;
    }
    this.ids[slot] = id;
    this.slotOf.set(id, slot);
    return slot;
  }

  private release(id: string, slot: number): void {
    this.weights[slot] = 0; // clear float residue so the slot is truly empty
    this.slotOf.delete(id);
    this.ids[slot] = undefined;
    this.free.push(slot);
  }

  private grow(): void {
    const cap = this.weights.length * 2;
    const weights = new Float64Array(cap);
    weights.set(this.weights);
    const tree = new Float64Array(cap + 1);
    for (let i = 0; i < cap; i++) tree[i + 1] = weights[i];
    for (let i = 1; i <= cap; i++) {
      const parent = i + (i & -i);
      if (parent <= cap) tree[parent] += tree[i];
    }
    this.weights = weights;
    this.tree = tree;
    this.ids.length = cap;
  }
}

function highestPowerOfTwo(n: number): number {
  let p = 1;
  while (p * 2 <= n) p *= 2;
  return p;
}

/** Mulberry32: a small seeded generator so tests and benchmarks are repeatable. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
