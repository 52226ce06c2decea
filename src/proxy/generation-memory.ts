// Which key served which generation, so that GET /v1/generation?id= asks OpenRouter with that key.
// Bounded in two generations of max/2 ids each: when the newer is full, the older is dropped whole
// and the newer takes its place, so the newest max/2 to max ids are known, and ids are forgotten
// after `ttlMs` anyway.
//
// Every proxied request adds an id that lives for hours, so a Map of strings and objects put ~500
// bytes a request into the old heap, and its collection cost more CPU than anything else the proxy
// kept (BENCHMARKS.md, run I). Each generation is an open-addressing table in typed arrays instead:
// an id is kept as a 64-bit hash (two independent 32-bit hashes; a false match among 50,000 ids has a
// chance of about 1 in 10^14), its key as an index into a small list of key ids.

const EMPTY = 0;

class Table {
  readonly hi: Int32Array;
  readonly lo: Int32Array;
  readonly key: Int32Array; // key index + 1; 0 = empty slot
  readonly at: Float64Array;
  count = 0;

  constructor(readonly mask: number) {
    const n = mask + 1;
    this.hi = new Int32Array(n);
    this.lo = new Int32Array(n);
    this.key = new Int32Array(n);
    this.at = new Float64Array(n);
  }

  /** The slot holding (hi, lo), or the empty slot where it would go. */
  slot(hi: number, lo: number): number {
    for (let s = hi & this.mask; ; s = (s + 1) & this.mask) {
      if (this.key[s] === EMPTY || (this.hi[s] === hi && this.lo[s] === lo)) return s;
    }
  }

  clear(): void {
    this.key.fill(EMPTY);
    this.count = 0;
  }
}

export class GenerationMemory {
  private newer: Table;
  private older: Table;
  private readonly half: number;
  private readonly keyIds: string[] = [];
  private readonly keyIndex = new Map<string, number>();

  constructor(max = 50_000, private readonly ttlMs = 24 * 3600_000) {
    this.half = Math.max(1, Math.floor(max / 2));
    // At most half full, so that probes stay short.
    let size = 2;
    while (size < this.half * 2) size *= 2;
    this.newer = new Table(size - 1);
    this.older = new Table(size - 1);
  }

  remember(generationId: string, keyId: string, now: number): void {
    const hi = hashA(generationId);
    const lo = hashB(generationId);
    if (this.newer.count >= this.half && this.newer.key[this.newer.slot(hi, lo)] === EMPTY) {
      const dropped = this.older;
      this.older = this.newer;
      dropped.clear();
      this.newer = dropped;
      if (this.keyIds.length > 4 * this.half + 1024) this.forgetKeys();
    }
    const t = this.newer;
    const s = t.slot(hi, lo);
    if (t.key[s] === EMPTY) t.count++;
    t.hi[s] = hi;
    t.lo[s] = lo;
    t.key[s] = this.indexOf(keyId) + 1;
    t.at[s] = now;
  }

  /** The key id that served `generationId`, or null when unknown or forgotten. */
  keyOf(generationId: string, now: number): string | null {
    const hi = hashA(generationId);
    const lo = hashB(generationId);
    for (const t of [this.newer, this.older]) {
      const s = t.slot(hi, lo);
      const k = t.key[s];
      if (k === EMPTY) continue;
      return now - t.at[s] > this.ttlMs ? null : this.keyIds[k - 1];
    }
    return null;
  }

  get size(): number { return this.newer.count + this.older.count; }

  private indexOf(keyId: string): number {
    let i = this.keyIndex.get(keyId);
    if (i === undefined) {
      i = this.keyIds.length;
      this.keyIds.push(keyId);
      this.keyIndex.set(keyId, i);
    }
    return i;
  }

  /** Key ids are few; only a pool whose keys are replaced without end makes this list grow. */
  private forgetKeys(): void {
    this.newer.clear();
    this.older.clear();
    this.keyIds.length = 0;
    this.keyIndex.clear();
  }
}

/** FNV-1a over UTF-16 code units. */
function hashA(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}

/** A second, independent hash (multiply-rotate with murmur3's final mix). */
function hashB(s: string): number {
  let h = 0x9e3779b9 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    h = Math.imul(h ^ s.charCodeAt(i), 0x5bd1e995);
    h = (h << 15) | (h >>> 17);
  }
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}
