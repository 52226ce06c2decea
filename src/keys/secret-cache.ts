// The upstream secrets the proxy sends, held in memory by key id and kept in step with the log:
// keys added on another replica are read from the secret store when their event is folded.

import type { Projection } from '../projection/projection';
import type { SecretStore } from '../store/secret-store';
import type { EventStore } from '../store/event-store';
import type { Log } from '../log';

const ORPHAN_GRACE_MS = 60 * 60_000;

export class SecretCache {
  private readonly secrets = new Map<string, string>();

  constructor(private readonly store: SecretStore, private readonly log: Log, private readonly events: EventStore) {}

  async load(projection: Projection): Promise<void> {
    const all = await this.store.all();
    const orphans: string[] = [];
    for (const [id, secret] of all) {
      if (projection.state.keys[id]) this.secrets.set(id, secret);
      else orphans.push(id);
    }
    // A secret whose key the log says was deleted, or that the log never added (an add that did not
    // become durable), is not kept; a recent one of the latter is left alone: another replica stores
    // a key's secret before its KeyAdded event, and may be between the two now. The decision is the
    // log's, never the projection's: a damaged snapshot once made 517 of 518 secrets look orphaned.
    if (orphans.length) {
      const last = await this.events.membership(orphans);
      const deleted = orphans.filter((id) => last.get(id) === 'KeyDeleted');
      const neverAdded = orphans.filter((id) => !last.has(id));
      const keptAdded = orphans.length - deleted.length - neverAdded.length;
      if (keptAdded) this.log.warn({ secrets: keptAdded }, 'secrets of keys the log says exist are missing from the pool state; they are kept');
      await this.store.delete(deleted);
      await this.store.delete(neverAdded, Date.now() - ORPHAN_GRACE_MS);
    }
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
