// Which key served which generation, so that GET /v1/generation?id= asks OpenRouter with that key.
// Bounded: the oldest ids are forgotten first (a Map keeps insertion order), and after `ttlMs`.

export class GenerationMemory {
  private readonly byId = new Map<string, { keyId: string; at: number }>();

  constructor(private readonly max = 50_000, private readonly ttlMs = 24 * 3600_000) {}

  remember(generationId: string, keyId: string, now: number): void {
    if (this.byId.has(generationId)) this.byId.delete(generationId);
    this.byId.set(generationId, { keyId, at: now });
    if (this.byId.size > this.max) this.byId.delete(this.byId.keys().next().value as string);
  }

  /** The key id that served `generationId`, or null when unknown or forgotten. */
  keyOf(generationId: string, now: number): string | null {
    const e = this.byId.get(generationId);
    if (!e) return null;
    if (now - e.at > this.ttlMs) { this.byId.delete(generationId); return null; }
    return e.keyId;
  }

  get size(): number { return this.byId.size; }
}
