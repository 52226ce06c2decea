// The upstream secrets the proxy sends, held in memory by key id and kept in step with the log:
// keys added on another replica are read from the secret store when their event is folded.

import type { Projection } from '../projection/projection';
import type { SecretStore } from '../store/secret-store';
import type { Log } from '../log';

const ORPHAN_GRACE_MS = 60 * 60_000;

export class SecretCache {
  private readonly secrets = new Map<string, string>();

  constructor(private readonly store: SecretStore, private readonly log: Log) {}

  async load(projection: Projection): Promise<void> {
    const all = await this.store.all();
    const orphans: string[] = [];
    for (const [id, secret] of all) {
      if (projection.state.keys[id]) this.secrets.set(id, secret);
      else orphans.push(id);
    }
    // A secret whose key was deleted (or never became durable) is not kept. A recent one is left alone:
    // another replica stores a key's secret before its KeyAdded event, and may be between the two now.
    if (orphans.length && projection.state.everAdded > 0) await this.store.delete(orphans, Date.now() - ORPHAN_GRACE_MS);
    projection.folded.subscribe(({ event }) => {
      if (event.type === 'KeyDeleted' && event.key_id) this.secrets.delete(event.key_id);
      if (event.type === 'KeyAdded' && event.key_id && !this.secrets.has(event.key_id)) void this.fetch(event.key_id);
    });
  }

  get(id: string): string | undefined { return this.secrets.get(id); }
  set(id: string, secret: string): void { this.secrets.set(id, secret); }
  /** Every secret, for scrubbing text that may echo one. */
  values(): IterableIterator<string> { return this.secrets.values(); }

  private async fetch(id: string): Promise<void> {
    try {
      const secret = await this.store.get(id);
      if (secret) this.secrets.set(id, secret);
    } catch (err) {
      this.log.error({ err, key_id: id }, 'cannot read a key secret');
    }
  }
}
