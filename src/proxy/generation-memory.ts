// Which key served which generation, so that GET /v1/generation?id= asks OpenRouter with that key.
// Bounded in two generations of max/2 ids each: when the newer is full, the older is dropped whole
// and the newer takes its place, so the newest max/2 to max ids are known, and ids are forgotten
// after `ttlMs` anyway. Deleting the oldest id on every insert (one Map in insertion order) cost
// ~2 µs per proxied request once the Map was full (BENCHMARKS.md).

interface Served { keyId: string; at: number }

export class GenerationMemory {
  private newer = new Map<string, Served>();
  private older = new Map<string, Served>();
  private readonly half: number;

  constructor(max = 50_000, private readonly ttlMs = 24 * 3600_000) {
    this.half = Math.max(1, Math.floor(max / 2));
  }

  remember(generationId: string, keyId: string, now: number): void {
    if (this.newer.size >= this.half) {
      this.older = this.newer;
      this.newer = new Map();
    }
    this.older.delete(generationId); // seldom there: ids are unique, this keeps a repeat to one entry
    this.newer.set(generationId, { keyId, at: now });
  }

  /** The key id that served `generationId`, or null when unknown or forgotten. */
  keyOf(generationId: string, now: number): string | null {
    const e = this.newer.get(generationId) ?? this.older.get(generationId);
    if (!e || now - e.at > this.ttlMs) return null;
    return e.keyId;
  }

  get size(): number { return this.newer.size + this.older.size; }
}
