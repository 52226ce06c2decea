// Every SQL statement of the request log: batched inserts, filtered pages newest first, a streamed
// export, per-bucket aggregates for the charts, per-key success counts, and retention.

import type { Knex } from 'knex';
import type { KeyTried, RequestOutcome, RequestSummary } from '../request-log/entry';
import type { Database } from './database';
import {
  addingUpsert, minuteOf, requestRow, ROLLUPS, rollupRows, triedRows, type Rollup, type TriedRow,
} from './request-log-rows';
import { insertSqliteBatch, pruneSqliteChunk } from './sqlite-request-batch';
import { SqliteReader } from './sqlite-reader';
import { SqliteRequestWriter } from './sqlite-request-writer';

export interface RequestFilter {
  keyId?: string; model?: string; status?: number | 'ok' | 'error'; outcome?: RequestOutcome;
  since?: number; until?: number;
}

/** A stored request, as plain data (keys_tried decoded). */
export interface StoredRequest extends Omit<RequestSummary, 'keys_tried'> { id: number; keys_tried: KeyTried[] }

export interface BucketRow {
  t: number; outcome: RequestOutcome; requests: number; input_tokens: number; output_tokens: number; cost: number;
}

interface Row {
  id: number; at: number; route: string; model: string; stream: number | boolean; status: number; ok: number | boolean;
  outcome: string; attempts: number; key_id: string | null; keys_tried: string; latency_ms: number; ttfb_ms: number | null;
  input_tokens: number; output_tokens: number; cost: number | null; client: string;
}

const CHUNK = 200; // rows per INSERT: well under SQLite's bound-variable limit

const COLUMNS = ['id', 'at', 'route', 'model', 'stream', 'status', 'outcome', 'attempts', 'key_id', 'keys_tried',
  'latency_ms', 'ttfb_ms', 'input_tokens', 'output_tokens', 'cost', 'client'].map((c) => `r.${c}`);

export class RequestLogStore {
  /** SQLite file databases: the writer thread, started with the first batch (undefined: not yet). */
  private thread: SqliteRequestWriter | null | undefined;
  /** SQLite file databases: the reader thread, started with the first read. */
  private reader: SqliteReader | null | undefined;
  private lostTold = false;

  /** `threadLost`: told once when the writer thread is gone and batches are written in this thread. */
  constructor(private readonly db: Database, private readonly threadLost: (err: Error) => void = () => undefined) {}

  private get knex(): Knex { return this.db.knex; }

  /** One transaction per batch: the requests, every key each one tried, and the minute rollups. */
  async insert(batch: readonly RequestSummary[]): Promise<void> {
    if (batch.length === 0) return;
    if (this.db.type === 'sqlite') return this.insertSqlite(batch);
    const step = await this.idStep();
    await this.knex.transaction(async (trx) => {
      const tried: TriedRow[] = [];
      for (let i = 0; i < batch.length; i += CHUNK) {
        const part = batch.slice(i, i + CHUNK);
        const ids = step === null ? await this.insertOneByOne(trx, part) : await this.insertMany(trx, part, step);
        part.forEach((s, j) => triedRows(s, ids[j], tried));
      }
      for (let i = 0; i < tried.length; i += CHUNK * 2) await trx('request_keys').insert(tried.slice(i, i + CHUNK * 2));
      const rows = rollupRows(batch);
      for (const [i, r] of ROLLUPS.entries()) await upsert(trx, r, rows[i]);
    });
  }

  /**
   * A file database is written from the writer thread, off the event loop; `:memory:` (one connection
   * only) and a lost thread in this thread. A second connection is safe because every transaction
   * of this service writes first (its first statement takes the write lock, waiting up to
   * busy_timeout): none reads and then writes, which another connection's commit could refuse.
   */
  private insertSqlite(batch: readonly RequestSummary[]): Promise<void> {
    // A thread that died between its commit and its reply leaves that batch written twice here; the
    // request log is not the source of truth for anything.
    return this.onThreadOrHere((t) => t.write(batch), () => insertSqliteBatch(this.knex, batch));
  }

  /**
   * Pruning on SQLite: a delete runs in the thread that issues it, so chunks go to the writer thread (one
   * message each, batches sent meanwhile are written between them); without it they run here and the
   * event loop turns between them. A knex delete on this connection froze the event loop for the whole
   * prune (1.5 s for 100,000 rows: every request in flight waited). At most 1000 rows a chunk either
   * way: a chunk holds the write lock (~15 ms), and the main connection's writes wait for it.
   */
  private async pruneSqlite(before: number, chunk: number): Promise<number> {
    const size = Math.min(chunk, 1000);
    let total = 0;
    for (;;) {
      const n = await this.onThreadOrHere((t) => t.prune(before, size), async () => {
        await new Promise((resolve) => setImmediate(resolve));
        return pruneSqliteChunk(this.knex, before, size);
      });
      total += n;
      if (n < size) return total;
    }
  }

  /** `there` on the writer thread while it lives (started on first use), else `here`; its loss is told once. */
  private onThreadOrHere<R>(there: (t: SqliteRequestWriter) => Promise<R>, here: () => Promise<R>): Promise<R> {
    if (this.thread === undefined) this.thread = this.db.sqliteFile ? new SqliteRequestWriter(this.db.sqliteFile) : null;
    return onWorkerOrHere(this.thread, there, here, (err) => {
      if (!this.lostTold) { this.lostTold = true; this.threadLost(err); }
    });
  }

  /** Whether batches go to the writer thread (a SQLite file, the thread started and alive). */
  get offThread(): boolean { return this.thread != null && this.thread.broken === null; }

  /** Stops the writer and reader threads (after the last batch: the request log's writer has flushed). */
  async close(): Promise<void> {
    await this.thread?.close();
    await this.reader?.close();
    this.thread = null;
    this.reader = null;
  }

  /**
   * The rows of a read. On a SQLite file it runs on the reader thread: better-sqlite3 runs a query in
   * the thread that asks, and counting 900,000 rows for a page's total (30–70 ms, BENCHMARKS.md §4) or
   * a day of per-key minutes held up every request in flight. Gone or `:memory:`: through knex here.
   */
  private async read<T>(q: Knex.QueryBuilder | Knex.Raw): Promise<T[]> {
    const here = async () => (await q) as T[];
    if (this.db.type !== 'sqlite') return here();
    if (this.reader === undefined) this.reader = this.db.sqliteFile ? new SqliteReader(this.db.sqliteFile) : null;
    return onWorkerOrHere(this.reader, (r) => r.all<T>(q), here);
  }

  /** A multi-row insert's ids are consecutive (auto-inc lock mode 0 or 1); MySQL reports the first. */
  private async insertMany(trx: Knex.Transaction, part: readonly RequestSummary[], step: number): Promise<number[]> {
    const [id] = await trx('request_log').insert(part.map(requestRow));
    return part.map((_, j) => Number(id) + j * step);
  }

  private async insertOneByOne(trx: Knex.Transaction, part: readonly RequestSummary[]): Promise<number[]> {
    const ids: number[] = [];
    for (const s of part) ids.push(Number((await trx('request_log').insert(requestRow(s)))[0]));
    return ids;
  }

  private step: Promise<number | null> | null = null;

  /** The id step of a multi-row insert, or null when its ids may interleave with another writer's. */
  private idStep(): Promise<number | null> {
    this.step ??= this.knex.raw('SELECT @@innodb_autoinc_lock_mode AS mode, @@auto_increment_increment AS inc').then((r) => {
      const row = (r as [{ mode: number; inc: number }[]])[0][0];
      return Number(row.mode) <= 1 ? Number(row.inc) : null;
    }, () => null);
    return this.step;
  }

  /** One page, newest first. */
  async page(f: RequestFilter, limit: number, offset: number): Promise<StoredRequest[]> {
    const rows = await this.read<Row>(this.select(f).orderBy([{ column: orderAt(f), order: 'desc' }, { column: orderId(f), order: 'desc' }])
      .limit(limit).offset(offset));
    return rows.map(decode);
  }

  async count(f: RequestFilter): Promise<number> {
    const q = f.keyId !== undefined ? this.keyBase(f, false).count({ n: '*' }) : this.base(f).count({ n: '*' });
    const [row] = await this.read<{ n: number | string }>(q);
    return Number(row.n);
  }

  /** Every matching row, newest first, in chunks (keyset paging: constant cost per chunk). */
  async *stream(f: RequestFilter, chunk = 1000): AsyncGenerator<StoredRequest[]> {
    let cursor: { at: number; id: number } | null = null;
    for (;;) {
      const q = this.select(f).orderBy([{ column: orderAt(f), order: 'desc' }, { column: orderId(f), order: 'desc' }]).limit(chunk);
      if (cursor) {
        const c: { at: number; id: number } = cursor;
        q.where((w) => w.where(orderAt(f), '<', c.at).orWhere((x) => x.where(orderAt(f), c.at).andWhere(orderId(f), '<', c.id)));
      }
      const rows = (await this.read<Row>(q)).map(decode);
      if (rows.length === 0) return;
      yield rows;
      if (rows.length < chunk) return;
      const last = rows[rows.length - 1];
      cursor = { at: last.at, id: last.id };
    }
  }

  /** Requests, tokens and cost per time bucket and outcome since `since` (from the minute rollups). */
  async buckets(since: number, bucketMs: number): Promise<BucketRow[]> {
    const t = this.knex.raw('(minute - (minute % ?))', [bucketMs]);
    const rows = await this.read<Record<string, unknown>>(this.knex('request_minutes').where('minute', '>=', since)
      .select({ t, outcome: 'outcome' })
      .sum({ requests: 'requests', input_tokens: 'input_tokens', output_tokens: 'output_tokens', cost: 'cost' })
      .groupByRaw('1, 2'));
    return rows.map((r) => ({
      t: Number(r.t), outcome: r.outcome as RequestOutcome, requests: Number(r.requests),
      input_tokens: Number(r.input_tokens ?? 0), output_tokens: Number(r.output_tokens ?? 0), cost: Number(r.cost ?? 0),
    }));
  }

  /** The latency histogram per time bucket since `since`: requests per bin of LATENCY_EDGES. */
  async latencyHistogram(since: number, bucketMs: number): Promise<{ t: number; bin: number; n: number }[]> {
    const t = this.knex.raw('(minute - (minute % ?))', [bucketMs]);
    const rows = await this.read<Record<string, unknown>>(this.knex('request_minute_latency').where('minute', '>=', since).select({ t, bin: 'bin' }).sum({ n: 'n' }).groupByRaw('1, 2'));
    return rows.map((r) => ({ t: Number(r.t), bin: Number(r.bin), n: Number(r.n) }));
  }

  /**
   * Per key, attempts by outcome since `since` (from the minute it falls in): success rates and
   * requests in the last 24 h, from the per-key minutes, not the attempts themselves.
   */
  async keyOutcomes(since: number): Promise<{ key_id: string; outcome: RequestOutcome; n: number }[]> {
    const rows = await this.read<Record<string, unknown>>(this.knex('request_key_minutes').where('minute', '>=', minuteOf(since))
      .select('key_id', 'outcome').sum({ n: 'n' }).groupBy('key_id', 'outcome'));
    return rows.map((r) => ({ key_id: String(r.key_id), outcome: r.outcome as RequestOutcome, n: Number(r.n) }));
  }

  /** Attempts per key and time bucket (whole minutes) since `since`, for the given keys (the key table's trend). */
  async keyTrends(ids: readonly string[], since: number, bucketMs: number): Promise<{ key_id: string; t: number; n: number }[]> {
    if (ids.length === 0) return [];
    const t = this.knex.raw('(minute - (minute % ?))', [bucketMs]);
    const rows = await this.read<Record<string, unknown>>(this.knex('request_key_minutes').whereIn('key_id', ids as string[]).where('minute', '>=', minuteOf(since))
      .select({ key_id: 'key_id', t }).sum({ n: 'n' }).groupByRaw('1, 2'));
    return rows.map((r) => ({ key_id: String(r.key_id), t: Number(r.t), n: Number(r.n) }));
  }

  /** Deletes rows older than `before`, `chunk` at a time so writers are never blocked for long. */
  async prune(before: number, chunk = 5000): Promise<number> {
    if (this.db.type === 'sqlite') return this.pruneSqlite(before, chunk);
    let total = 0;
    for (;;) {
      const ids = (await this.knex('request_log').where('at', '<', before).select('id').limit(chunk)).map((r: { id: number }) => r.id);
      if (ids.length === 0) break;
      await this.knex.transaction(async (trx) => {
        await trx('request_keys').whereIn('request_id', ids).delete();
        await trx('request_log').whereIn('id', ids).delete();
      });
      total += ids.length;
      if (ids.length < chunk) break;
    }
    for (const r of ROLLUPS) await this.knex(r.table).where('minute', '<', minuteOf(before)).delete();
    return total;
  }

  private select(f: RequestFilter): Knex.QueryBuilder {
    if (f.keyId !== undefined) return this.keyBase(f, true).select(COLUMNS);
    return this.base(f).select(COLUMNS);
  }

  /** The filters on request_log itself. */
  private base(f: RequestFilter, q: Knex.QueryBuilder = this.knex('request_log as r'), at = 'r.at'): Knex.QueryBuilder {
    if (f.model !== undefined) q.where('r.model', f.model);
    if (f.outcome !== undefined) q.where('r.outcome', f.outcome);
    // `ok` is exactly outcome 'ok', whose indexes hold every row; on SQLite the `ok` indexes only hold
    // failed rows (migration 005).
    if (f.status === 'ok') q.where('r.outcome', 'ok');
    else if (f.status === 'error') q.where('r.ok', false);
    else if (f.status !== undefined) q.where('r.status', f.status);
    if (f.since !== undefined) q.where(at, '>=', f.since);
    if (f.until !== undefined) q.where(at, '<', f.until);
    return q;
  }

  /** Driven by request_keys' (key_id, at) index; the other filters apply to the joined rows. */
  private keyBase(f: RequestFilter, join: boolean): Knex.QueryBuilder {
    const q = this.knex('request_keys as k').where('k.key_id', f.keyId as string);
    if (f.since !== undefined) q.where('k.at', '>=', f.since);
    if (f.until !== undefined) q.where('k.at', '<', f.until);
    const rest = { ...f, since: undefined, until: undefined };
    if (!join && rest.model === undefined && rest.outcome === undefined && rest.status === undefined) return q;
    return this.base(rest, q.join('request_log as r', 'r.id', 'k.request_id'));
  }
}

const orderAt = (f: RequestFilter) => (f.keyId !== undefined ? 'k.at' : 'r.at');
const orderId = (f: RequestFilter) => (f.keyId !== undefined ? 'k.request_id' : 'r.id');

function decode(r: Row): StoredRequest {
  let tried: KeyTried[] = [];
  try { tried = JSON.parse(r.keys_tried) as KeyTried[]; } catch { /* a damaged row still lists */ }
  return {
    id: Number(r.id), at: Number(r.at), route: r.route, model: r.model, stream: Boolean(r.stream), status: r.status,
    outcome: r.outcome as RequestOutcome, attempts: r.attempts, key_id: r.key_id, keys_tried: tried,
    latency_ms: r.latency_ms, ttfb_ms: r.ttfb_ms, input_tokens: r.input_tokens, output_tokens: r.output_tokens,
    cost: r.cost === null ? null : Number(r.cost), client: r.client,
  };
}

/** The MySQL rollup upserts, CHUNK rows per statement. */
async function upsert(trx: Knex.Transaction, r: Rollup, rows: (string | number)[][]): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    const part = rows.slice(i, i + CHUNK);
    await trx.raw(addingUpsert('mysql', r.table, r.columns, r.keys, part.length), part.flat());
  }
}

/**
 * `there` on a worker thread while it lives, else `here`. A failure while the thread lives is the
 * database's (a refused row, a bad query) and is thrown; a thread gone mid-call falls back to `here`.
 */
async function onWorkerOrHere<W extends { broken: Error | null }, R>(
  w: W | null, there: (w: W) => Promise<R>, here: () => Promise<R>, lost?: (err: Error) => void,
): Promise<R> {
  if (w !== null && w.broken === null) {
    try {
      return await there(w);
    } catch (err) {
      if (w.broken === null) throw err;
    }
  }
  if (w !== null && w.broken !== null) lost?.(w.broken);
  return here();
}
