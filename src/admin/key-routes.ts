// The key pool's admin routes: the paged key table, add, delete (one, or a batch), weight and
// active/inactive, and "check now". Names and fields follow docs/api.md.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { KEY_STATUSES } from '../domain/pool-state';
import { MAX_WEIGHT, MIN_WEIGHT } from '../domain/key-lines';
import { ApiError } from '../http/errors';
import { KEY_SORTS, keyRow, keyTable, type RowContext } from '../projection/key-table';
import type { Runtime } from '../runtime';
import type { KeyState } from '../domain/pool-state';
import type { KeyAccessAction } from '../events/types';
import {
  booleanField, intParam, invalid, objectBody, optionalEnum, optionalText, pageQuery, refuseUnknown, requiredString, stringList,
} from './schemas';
import { label, MAX_LABELS } from './bulk-routes';

export type ProbeNow = (rt: Runtime, id: string) => Promise<unknown>;

const MAX_BATCH = 10_000;
const MAX_KEY_DATA = 5 * 1024 * 1024;

export function keyRoutes(app: FastifyInstance, rt: Runtime, probe: ProbeNow): void {
  const now = () => rt.projection.now();

  app.get('/key-status', async (req) => {
    const q = req.query as Record<string, unknown>;
    const { page, limit } = pageQuery(q, 10);
    const query = {
      page, limit, status: optionalEnum('status', q.status, KEY_STATUSES), q: optionalText('q', q.q, 256),
      label: optionalText('label', q.label, 64), sort: optionalEnum('sort', q.sort, KEY_SORTS), order: optionalEnum('order', q.order, ['asc', 'desc'] as const),
    };
    await rt.requestLog.health.refresh();
    return keyTable(rt.projection.state, query, now(), rowContext(rt));
  });

  app.post('/add-keys', async (req) => {
    const body = objectBody(req.body);
    refuseUnknown(body, ['key_data']);
    const text = requiredString('key_data', body.key_data, { maxLength: MAX_KEY_DATA, nonEmpty: true });
    const report = await rt.commands.addKeys(text, 'admin');
    req.log.info({ added: report.added_count, duplicates: report.duplicate_count, invalid: report.invalid_count }, 'admin added keys');
    return report;
  });

  app.delete('/delete-key/:id', async (req) => {
    objectBody(req.body);
    const key = await resolveKey(rt, req, 'delete');
    const deleted = await rt.commands.deleteKeys([key.id], 'admin');
    if (deleted.length === 0) throw new ApiError('not_found', `no key ${key.id}`, { param: 'id' });
    return { message: `deleted key ${key.masked} (${key.id})` };
  });

  app.post('/delete-keys-batch', async (req) => {
    const body = objectBody(req.body);
    refuseUnknown(body, ['ids', 'suffixes']);
    if (body.ids === undefined && body.suffixes === undefined) throw invalid('ids', 'ids is required (or suffixes): an array of key ids');
    const ids = body.ids === undefined ? [] : stringList('ids', body.ids, MAX_BATCH);
    const suffixes = body.suffixes === undefined ? [] : stringList('suffixes', body.suffixes, MAX_BATCH);
    // A suffix that names several keys refuses the whole batch: nothing is deleted by a guess.
    // A suffix that names no key is recorded (the first one per batch: a trace, not a flood).
    let missed: string | null = null;
    for (const suffix of suffixes) {
      const r = rt.commands.resolve(suffix);
      if (r.ok) ids.push(r.key.id);
      else if (r.reason === 'ambiguous') {
        await rt.commands.recordAccess(null, 'delete', 'ambiguous', { client: req.ip, ref: suffix });
        throw new ApiError('ambiguous_suffix', `suffix ${suffix} matches ${r.candidates.length} keys; nothing was deleted`, { param: 'suffixes', candidates: r.candidates });
      } else missed ??= suffix;
    }
    if (missed !== null) await rt.commands.recordAccess(null, 'delete', 'not_found', { client: req.ip, ref: missed });
    const deleted = await rt.commands.deleteKeys(ids, 'admin');
    const requested = (body.ids === undefined ? 0 : (body.ids as unknown[]).length) + suffixes.length;
    req.log.info({ deleted: deleted.length, requested }, 'admin deleted keys');
    return { message: `deleted ${deleted.length} of ${requested} requested keys`, deleted_count: deleted.length, requested_count: requested };
  });

  app.patch('/keys/:id', async (req) => {
    const body = objectBody(req.body);
    refuseUnknown(body, ['weight', 'active', 'labels']);
    if (body.weight === undefined && body.active === undefined && body.labels === undefined) throw invalid('weight', 'send weight (an integer from 1 to 1000), active (true or false) and/or labels (an array)');
    const labels = body.labels === undefined ? undefined : labelList(body.labels);
    const weight = body.weight === undefined ? undefined : intWeight(body.weight);
    const active = body.active === undefined ? undefined : booleanField('active', body.active);
    const key = await resolveKey(rt, req, weight !== undefined ? 'weight' : active ? 'activate' : 'deactivate');
    const audit = { client: req.ip, ref: refOf(req) };
    if (weight !== undefined) await rt.commands.setWeight(key.id, weight, 'admin', audit);
    if (active !== undefined) await rt.commands.setActive(key.id, active, 'admin', undefined, audit);
    if (labels !== undefined) await setLabels(rt, key.id, labels);
    return row(rt, key.id);
  });

  app.post('/keys/:id/check', async (req) => {
    objectBody(req.body);
    const key = await resolveKey(rt, req, 'check');
    await probe(rt, key.id);
    return row(rt, key.id);
  });
}

function labelList(raw: unknown): string[] {
  if (!Array.isArray(raw)) throw invalid('labels', 'labels must be an array of strings');
  if (raw.length > MAX_LABELS) throw invalid('labels', `a key may carry at most ${MAX_LABELS} labels`);
  const out: string[] = [];
  for (const l of raw.map(label)) if (!out.some((o) => o.toLowerCase() === l.toLowerCase())) out.push(l);
  return out;
}

async function setLabels(rt: Runtime, id: string, labels: string[]): Promise<void> {
  const now = rt.projection.now();
  await rt.projection.command((state) => {
    const previous = state.keys[id]?.labels ?? [];
    if (!state.keys[id] || previous.join('\n') === labels.join('\n')) return { events: [], result: null };
    return { events: [{ type: 'KeyLabelsChanged', at: now, key_id: id, actor: 'admin', data: { labels, previous } }], result: null };
  });
}

function intWeight(raw: unknown): number {
  if (typeof raw !== 'number') throw invalid('weight', `weight must be an integer from ${MIN_WEIGHT} to ${MAX_WEIGHT}`);
  return intParam('weight', raw, MIN_WEIGHT, MAX_WEIGHT);
}

const refOf = (req: FastifyRequest) => (req.params as { id: string }).id;

/**
 * The key named by :id: its id, or the exact suffix the key table shows (see KeyCommands.resolve).
 * A reference that names no key, or several, is recorded in the history before it is refused.
 */
async function resolveKey(rt: Runtime, req: FastifyRequest, action: KeyAccessAction): Promise<KeyState> {
  const id = refOf(req);
  if (!id || id.length > 256) throw invalid('id', 'id must be a key id or the key suffix shown in the key table');
  const r = rt.commands.resolve(id);
  if (r.ok) return r.key;
  await rt.commands.recordAccess(null, action, r.reason, { client: req.ip, ref: id });
  if (r.reason === 'ambiguous') {
    throw new ApiError('ambiguous_suffix', `suffix ${id} matches ${r.candidates.length} keys; use an id`, { param: 'id', candidates: r.candidates });
  }
  throw new ApiError('not_found', `no key with id or shown suffix ${id}`, { param: 'id' });
}

function row(rt: Runtime, id: string) {
  const key = rt.projection.state.keys[id];
  if (!key) throw new ApiError('not_found', `key ${id} was deleted meanwhile`, { param: 'id' });
  return keyRow(key, rt.projection.now(), rowContext(rt));
}

/** Health from the request log, this process's probe schedules and its free-tier pacer, for the K rows. */
export function rowContext(rt: Runtime): RowContext {
  return {
    health: (id) => rt.requestLog.health.get(id), nextProbeAt: rt.schedule.nextProbeAt, nextCreditAt: rt.schedule.nextCreditAt,
    freeOut: (k, at) => rt.projection.free.outUntil(k, at),
  };
}
