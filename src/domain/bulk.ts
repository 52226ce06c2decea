// Bulk actions over a set of keys, as pure decisions: given the state and the chosen keys, the events
// that make the change (none for a key the action would not change), and a line per key that says
// what will change, for the confirmation the admin sees before it runs.

import type { Actor, NewEvent } from '../events/types';
import { keyStatus, type KeyState, type PoolState } from './pool-state';

export const BULK_ACTIONS = ['activate', 'deactivate', 'check', 'end_cooldown', 'set_weight', 'add_label', 'remove_label', 'delete'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

export interface BulkArgs { weight?: number; label?: string }

export interface BulkChange { id: string; masked: string; from: string; to: string }

/** What the action does to one key, or null when it leaves the key as it is. */
export function bulkChange(k: KeyState, action: BulkAction, args: BulkArgs, now: number): BulkChange | null {
  const status = keyStatus(k, now);
  const labels = k.labels ?? [];
  const line = (from: string, to: string) => ({ id: k.id, masked: k.masked, from, to });
  switch (action) {
    case 'activate': return !k.active || (k.coolUntil !== null && k.coolUntil > now) ? line(status, 'active') : null;
    case 'deactivate': return k.active ? line(status, 'inactive') : null;
    case 'end_cooldown': return k.coolUntil !== null && k.coolUntil > now ? line(`cooling until ${new Date(k.coolUntil).toISOString()}`, k.active ? 'active' : 'inactive') : null;
    case 'set_weight': return args.weight !== undefined && k.weight !== args.weight ? line(`weight ${k.weight}`, `weight ${args.weight}`) : null;
    case 'add_label': return args.label !== undefined && !hasLabel(labels, args.label) ? line(labels.join(', '), [...labels, args.label].join(', ')) : null;
    case 'remove_label': return args.label !== undefined && hasLabel(labels, args.label) ? line(labels.join(', '), without(labels, args.label).join(', ')) : null;
    case 'check': return line(status, 'checked with GET /key');
    case 'delete': return line(status, 'deleted');
  }
}

/** The events of a bulk action over `ids` (delete and check are run by the edge: secrets, network). */
export function bulkEvents(state: PoolState, ids: readonly string[], action: BulkAction, args: BulkArgs, now: number, actor: Actor): NewEvent[] {
  const events: NewEvent[] = [];
  for (const id of ids) {
    const k = state.keys[id];
    if (!k || bulkChange(k, action, args, now) === null) continue;
    const labels = k.labels ?? [];
    switch (action) {
      case 'activate': events.push({ type: 'KeyReactivated', at: now, key_id: id, actor, data: { by: 'admin' } }); break;
      case 'deactivate': events.push({ type: 'KeyDeactivated', at: now, key_id: id, actor, data: { reason: 'deactivated by the admin (bulk)' } }); break;
      case 'end_cooldown': events.push({ type: 'KeyReactivated', at: now, key_id: id, actor, data: { by: 'cooldown' } }); break;
      case 'set_weight': events.push({ type: 'KeyWeightChanged', at: now, key_id: id, actor, data: { weight: args.weight as number, previous: k.weight } }); break;
      case 'add_label': events.push({ type: 'KeyLabelsChanged', at: now, key_id: id, actor, data: { labels: [...labels, args.label as string], previous: labels } }); break;
      case 'remove_label': events.push({ type: 'KeyLabelsChanged', at: now, key_id: id, actor, data: { labels: without(labels, args.label as string), previous: labels } }); break;
      default: break;
    }
  }
  return events;
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const hasLabel = (labels: readonly string[], label: string) => labels.some((l) => same(l, label));
const without = (labels: readonly string[], label: string) => labels.filter((l) => !same(l, label));
