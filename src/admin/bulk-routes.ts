// POST /admin/keys/bulk: one action over the keys a filter matches (the key table's status, q and
// label: "all N matching", across pages) or over listed ids. `dry_run: true` answers what would change,
// key by key, for the confirmation; without it the change is made (one durable command) and counted.

import type { FastifyInstance } from 'fastify';
import { BULK_ACTIONS, bulkChange, bulkEvents, type BulkAction, type BulkArgs } from '../domain/bulk';
import { MAX_WEIGHT, MIN_WEIGHT } from '../domain/key-lines';
import { KEY_STATUSES } from '../domain/pool-state';
import { keyFilter } from '../projection/key-table';
import type { Runtime } from '../runtime';
import { eachAtMost } from '../health/each-at-most';
import type { ProbeNow } from './key-routes';
import { booleanField, intParam, invalid, objectBody, optionalEnum, optionalText, refuseUnknown, stringList } from './schemas';

const MAX_IDS = 10_000;
const LISTED = 200; // changes listed in a dry run's answer; the count covers them all
const LABEL = /^[\p{L}\p{N}][\p{L}\p{N} _.:/@+-]{0,31}$/u;
export const MAX_LABELS = 20;

export function bulkRoutes(app: FastifyInstance, rt: Runtime, probe: ProbeNow): void {
  app.post('/keys/bulk', async (req) => {
    const body = objectBody(req.body);
    refuseUnknown(body, ['action', 'filter', 'ids', 'weight', 'label', 'dry_run']);
    const action = optionalEnum('action', body.action, BULK_ACTIONS);
    if (action === undefined) throw invalid('action', `action is required: one of ${BULK_ACTIONS.join(', ')}`);
    const args = bulkArgs(action, body);
    const dryRun = body.dry_run === undefined ? false : booleanField('dry_run', body.dry_run);
    const now = rt.projection.now();
    const ids = chosenKeys(rt, body, now);
    const changes = ids.map((id) => bulkChange(rt.projection.state.keys[id], action, args, now)).filter((c) => c !== null);
    const summary = { action, matched: ids.length, will_change: changes.length };
    if (dryRun) return { ...summary, dry_run: true, changes: changes.slice(0, LISTED) };

    let changed: number;
    if (action === 'delete') changed = (await rt.commands.deleteKeys(changes.map((c) => c.id), 'admin')).length;
    else if (action === 'check') changed = await checkAll(rt, changes.map((c) => c.id), probe);
    else {
      const { stored } = await rt.projection.command((state) => ({ events: bulkEvents(state, ids, action, args, rt.projection.now(), 'admin'), result: null }));
      changed = stored.length;
    }
    req.log.info({ action, matched: ids.length, changed }, 'admin bulk action');
    return { ...summary, dry_run: false, changed };
  });
}

function bulkArgs(action: BulkAction, body: Record<string, unknown>): BulkArgs {
  if (action === 'set_weight') {
    if (typeof body.weight !== 'number') throw invalid('weight', `set_weight needs weight: an integer from ${MIN_WEIGHT} to ${MAX_WEIGHT}`);
    return { weight: intParam('weight', body.weight, MIN_WEIGHT, MAX_WEIGHT) };
  }
  if (action === 'add_label' || action === 'remove_label') return { label: label(body.label) };
  if (body.weight !== undefined || body.label !== undefined) throw invalid(body.weight !== undefined ? 'weight' : 'label', `${action} takes no ${body.weight !== undefined ? 'weight' : 'label'}`);
  return {};
}

export function label(raw: unknown): string {
  if (typeof raw !== 'string' || !LABEL.test(raw.trim())) {
    throw invalid('label', 'label must be 1 to 32 letters, digits, spaces or _ . : / @ + - (starting with a letter or digit)');
  }
  return raw.trim();
}

/** The keys named by `ids`, or matched by `filter` (exactly one of the two). */
function chosenKeys(rt: Runtime, body: Record<string, unknown>, now: number): string[] {
  const keys = rt.projection.state.keys;
  if ((body.ids === undefined) === (body.filter === undefined)) throw invalid('filter', 'send either filter (an object: status, q, label; {} for every key) or ids');
  if (body.ids !== undefined) {
    const ids = stringList('ids', body.ids, MAX_IDS);
    const missing = ids.find((id) => !keys[id]);
    if (missing !== undefined) throw invalid('ids', `no key with id ${missing}; nothing was changed`);
    return [...new Set(ids)];
  }
  const f = body.filter;
  if (typeof f !== 'object' || f === null || Array.isArray(f)) throw invalid('filter', 'filter must be an object: status, q, label');
  const filter = f as Record<string, unknown>;
  refuseUnknown(filter, ['status', 'q', 'label']);
  const matches = keyFilter({
    status: optionalEnum('status', filter.status, KEY_STATUSES), q: optionalText('q', filter.q, 256), label: optionalText('label', filter.label, 64),
  }, now);
  return Object.values(keys).filter(matches).map((k) => k.id);
}

/** Probes the keys, a few at a time; resolves with how many were probed. */
async function checkAll(rt: Runtime, ids: string[], probe: ProbeNow): Promise<number> {
  await eachAtMost(ids, rt.config.healthCheckConcurrency, (id) => probe(rt, id), (err, id) => rt.log.warn({ err, key_id: id }, 'bulk check failed'));
  return ids.length;
}
