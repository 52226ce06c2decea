// The one module that owns the RxJS pipeline folding the event log into the in-memory projection.
// Proxy and probe outcomes are folded at once and appended in batches; admin commands are appended
// first and folded when durable. Request code reads `state` and picks through `index` synchronously.
// The fold itself is a plain call; subscribers of `folded` hear commands and other replicas' events as
// they are folded, and this process's outcomes once per flush (coalesced, as written), never inside a
// proxy request.

import { Subject, type Observable } from 'rxjs';
import { decideCooldownEnd } from '../domain/decide-key';
import type { FreeLimits } from '../domain/free-pacer';
import type { KeyState, PoolState } from '../domain/pool-state';
import type { Random, WeightedIndex } from '../domain/weighted-index';
import type { NewEvent, StoredEvent } from '../events/types';
import type { Decoded } from '../events/decode';
import { silentLog, type Log } from '../log';
import type { EventStore } from '../store/event-store';
import type { SnapshotStore } from '../store/snapshot-store';
import { CooldownTimer } from './cooldown-timer';
import type { FreeSelection } from './free-selection';
import { PendingBatch } from './pending-batch';
import { PoolFold, type FoldStats } from './pool-fold';
import { SeqTracker } from './seq-tracker';
import { trustedSnapshot } from './snapshot-check';
import { Snapshotter } from './snapshotter';

export interface ProjectionOptions {
  events: EventStore;
  snapshots: SnapshotStore;
  flushMs: number;
  snapshotEvery: number;
  snapshotsKept: number;
  log?: Log;
  now?: () => number;
  random?: Random;
  /** Whether this process writes snapshots and records cooldown ends (the lease holder, with replicas). */
  isLeader?: () => boolean;
  /** Whether this projection writes its own snapshots (default: isLeader); replicas write theirs in log order. */
  writesSnapshots?: () => boolean;
  /** The free tier's default limits (a key's own, learnt from OpenRouter, win). */
  freeLimits?: () => FreeLimits;
}

export interface ProjectionStats extends FoldStats {
  appended: number; flushes: number; lastFlushMs: number;
  lastSnapshotAt: number | null; lastSnapshotSeq: number; pending: number;
}

/** A folded event; `local` ones were folded before they were durable. */
export interface Folded { event: NewEvent | StoredEvent; local: boolean }

export class Projection {
  /** The fold: state, seqs and the indexes picked from. */
  readonly pool: PoolFold;
  readonly stats: ProjectionStats = {
    folded: 0, foldErrors: 0, appended: 0, flushes: 0, lastFlushMs: 0,
    eventsSinceSnapshot: 0, lastSnapshotAt: null, lastSnapshotSeq: 0, pending: 0,
  };
  private readonly folded$ = new Subject<Folded>();
  /** Typed hooks called right after each local outcome is folded (a replica's overlay). */
  private readonly localFoldHooks: ((event: NewEvent, record: number) => void)[] = [];
  private readonly appended$ = new Subject<{ events: number; ms: number }>();
  private readonly pending = new PendingBatch();
  private writing: Promise<unknown> = Promise.resolve();
  private flushTimer: NodeJS.Timeout | null = null;
  private readonly cooldowns: CooldownTimer;
  private readonly snapshots: Snapshotter;
  /** Outcomes recorded while a command is being written, folded once its events are. */
  private deferred: NewEvent[] | null = null;
  private stopped = false;
  private recorded = 0;
  /** Outcomes recorded so far (each `record` call is numbered). */
  get recordedCount(): number { return this.recorded; }
  /** Recorded outcomes numbered up to `records` are durable, at seqs up to `seq`. */
  readonly durable = { records: 0, seq: 0 };
  readonly now: () => number;
  readonly random: Random;
  private readonly log: Log;

  constructor(private readonly o: ProjectionOptions) {
    this.now = o.now ?? Date.now;
    this.random = o.random ?? Math.random;
    this.log = o.log ?? silentLog;
    this.pool = new PoolFold({
      now: this.now, random: this.random, log: this.log, freeLimits: o.freeLimits, stats: this.stats,
      cooling: (until) => this.cooldowns.cooling(until),
    });
    this.snapshots = new Snapshotter({ store: o.snapshots, every: o.snapshotEvery, kept: o.snapshotsKept, now: this.now, log: this.log, stats: this.stats });
    this.cooldowns = new CooldownTimer({ now: this.now, earliest: () => this.pool.earliestCoolEnd(), due: (now) => this.endCooldowns(now) });
  }

  get state(): PoolState { return this.pool.state; }
  get index(): WeightedIndex { return this.pool.index; }
  /** The keys that may take a `:free` request now (paced per key, window and day). */
  get free(): FreeSelection { return this.pool.free; }

  /**
   * Every event folded, for the edges (secret cache, live settings, log level). Local outcomes come
   * once their batch is appended, as stored (uses of one key coalesced), not one by one as folded.
   */
  get folded(): Observable<Folded> { return this.folded$; }

  /** Calls `fn` right after every local outcome is folded, with its record number; returns an unhook. */
  afterLocalFold(fn: (event: NewEvent, record: number) => void): () => void {
    this.localFoldHooks.push(fn);
    return () => {
      const i = this.localFoldHooks.indexOf(fn);
      if (i >= 0) this.localFoldHooks.splice(i, 1);
    };
  }

  /** A stored event (a command's, another replica's): folded and announced at once. */
  private foldStored(event: StoredEvent): void {
    if (this.pool.fold(event)) this.folded$.next({ event, local: false });
  }

  /** A local outcome: folded now, announced with its batch (appendAll). */
  private foldLocal(event: NewEvent): void {
    if (!this.pool.fold(event)) return;
    for (let i = 0; i < this.localFoldHooks.length; i++) this.localFoldHooks[i](event, this.recorded);
  }

  /** Every batch appended to the log: how many events, how long the transaction took (for metrics). */
  get appended(): Observable<{ events: number; ms: number }> { return this.appended$; }

  /** Loads the newest snapshot (when it holds up against the log) and folds only the events after it. */
  async load(): Promise<{ fromSnapshot: boolean; replayed: number; skipped: number }> {
    const trusted = await trustedSnapshot(this.o.snapshots, this.o.events, this.log);
    if (trusted) {
      this.pool.reset(trusted.state, new SeqTracker(trusted.snapshot.seq, trusted.snapshot.above));
      this.snapshots.loaded(trusted.snapshot);
    } else {
      this.pool.reset();
    }
    const { folded, skipped } = await this.catchUp();
    this.pool.rebuildFree(); // with the whole log folded: its last free attempts are known
    this.stats.eventsSinceSnapshot = folded;
    return { fromSnapshot: trusted !== null, replayed: folded, skipped };
  }

  /** Folds events others appended (or that exist at start) after what is folded. */
  async catchUp(batch = 5000): Promise<{ folded: number; skipped: number }> {
    let folded = 0;
    let skipped = 0;
    for (;;) {
      const rows = await this.o.events.readAfter(this.pool.seqs.watermark, batch);
      const n = this.foldDecoded(rows);
      folded += n.folded;
      skipped += n.skipped;
      if (rows.length < batch) break;
      if (this.pool.seqs.hasHole) break; // a hole: the tailer decides when to read past it
    }
    return { folded, skipped };
  }

  /** Folds stored events not folded yet (from catch-up or a tailer); returns counts. */
  foldDecoded(rows: readonly Decoded[]): { folded: number; skipped: number } {
    let folded = 0;
    let skipped = 0;
    for (const d of rows) {
      const seq = d.ok ? d.event.seq : d.seq;
      if (this.pool.seqs.has(seq)) continue;
      // This process's own events are folded by the writer (at record or after the command's append);
      // a tailer can read them in the moment between their commit and that, and must not fold them twice.
      if (d.ok && d.event.origin === this.o.events.origin) { this.pool.seqs.mark(seq, this.now()); continue; }
      if (d.ok) { this.foldStored(d.event); folded++; } else {
        skipped++;
        this.log.warn({ seq, error: d.error }, 'skipping an event that does not decode');
      }
      this.pool.seqs.mark(seq, this.now());
    }
    return { folded, skipped };
  }

  get seqs(): SeqTracker { return this.pool.seqs; }

  /** Replaces one key's state (a replica setting it to the log order plus what is not settled). */
  replaceKey(id: string, key: KeyState | null): void { this.pool.replaceKey(id, key); }

  /** Replaces the pool-wide part of the state (a replica, like replaceKey). */
  replaceGlobals(g: Pick<PoolState, 'everAdded' | 'settings' | 'secretsVersion' | 'totals'>): void { this.pool.replaceGlobals(g); }

  /** Tells the read models about a stored event another replica wrote, once it shows in `state`. */
  announce(event: StoredEvent): void {
    this.stats.folded++;
    this.stats.eventsSinceSnapshot++;
    this.folded$.next({ event, local: false });
  }

  /** Runs `task` in the write queue: no append of this process is in flight while it runs. */
  whenIdle<T>(task: () => T): Promise<T> {
    return this.serialize(async () => task());
  }

  /** Starts the timers (cooldown ends). Flushes are scheduled on demand. */
  start(): void { this.cooldowns.start(); }

  /** Folds a proxy or probe outcome now; it is appended with the next batch. */
  record(event: NewEvent): void {
    if (this.stopped) return;
    this.recorded++;
    // While a command's events are being written, outcomes are stored after them, so they are folded
    // after them too: the live state then always equals a replay of the log.
    if (this.deferred) this.deferred.push(event);
    else this.foldLocal(event);
    this.pending.add(event);
    this.stats.pending = this.pending.size;
    if (!this.flushTimer) this.flushTimer = setTimeout(() => void this.flush().catch(() => undefined), this.o.flushMs); // appendAll logged it; the batch stays queued
  }

  /**
   * An admin command: `decide` sees the state at its turn in the write queue and returns the events;
   * they are appended (after any pending outcomes, in one transaction) and folded before this resolves.
   */
  command<T>(decide: (state: PoolState) => { events: NewEvent[]; result: T }): Promise<{ stored: StoredEvent[]; result: T }> {
    return this.serialize(async () => {
      const { events, result } = decide(this.state);
      if (events.length === 0) return { stored: [], result };
      const batch = this.pending.take();
      this.deferred = [];
      let stored: StoredEvent[];
      try {
        stored = await this.appendAll(batch, events);
        for (const e of stored.slice(batch.length)) {
          this.foldStored(e);
          this.pool.seqs.mark(e.seq, this.now());
        }
      } finally {
        const later = this.deferred;
        this.deferred = null;
        for (const event of later) this.foldLocal(event);
      }
      this.maybeSnapshot();
      return { stored: stored.slice(batch.length), result };
    });
  }

  /** Appends every pending outcome in one transaction. On a database error they stay queued. */
  flush(): Promise<void> {
    if (this.flushTimer) { clearTimeout(this.flushTimer); this.flushTimer = null; }
    return this.serialize(async () => {
      const batch = this.pending.take();
      if (batch.length === 0) return;
      await this.appendAll(batch, []);
      this.maybeSnapshot();
    });
  }

  /** Writes a snapshot that covers exactly the events folded so far. */
  snapshot(): Promise<void> {
    return this.serialize(async () => {
      // Serialised before the pending batch is appended: the blob then covers exactly the durable
      // events, this batch and nothing else, whatever is folded while the append is awaited.
      const capture = this.snapshots.capture(this.state, this.stats.folded);
      const covered = new SeqTracker(this.pool.seqs.watermark, this.pool.seqs.aboveList());
      const batch = this.pending.take();
      const stored = await this.appendAll(batch, []);
      for (const e of stored) covered.mark(e.seq);
      await this.snapshots.save(capture, covered.watermark, covered.aboveList());
      this.stats.eventsSinceSnapshot = this.stats.folded - capture.events;
    });
  }

  /** Flushes, writes a final snapshot (when this process may), and stops the timers. */
  async stop(): Promise<void> {
    this.cooldowns.stop();
    await this.flush();
    if (this.writesSnapshots() && this.stats.eventsSinceSnapshot > 0) await this.snapshot();
    this.stopped = true;
    await this.flush(); // what was recorded while the snapshot was written
    if (this.flushTimer) clearTimeout(this.flushTimer);
  }

  /**
   * Picks an available key by weight, never one already tried by this request. For a `:free` model
   * only a key with room in its free window and day, and the attempt is counted against it.
   */
  pick(exclude?: readonly string[], free = false): KeyState | null { return this.pool.pick(exclude, free); }

  /** When the earliest key that is out for now returns, for free or paid requests (null: none will by itself). */
  earliestReturn(free: boolean): number | null { return this.pool.earliestReturn(free); }

  private isLeader(): boolean { return this.o.isLeader ? this.o.isLeader() : true; }
  private writesSnapshots(): boolean { return this.o.writesSnapshots ? this.o.writesSnapshots() : this.isLeader(); }

  private async appendAll(batch: NewEvent[], events: NewEvent[]): Promise<StoredEvent[]> {
    const all = batch.length ? [...batch, ...events] : events;
    if (all.length === 0) return [];
    const started = performance.now();
    const through = this.recorded; // the batch was just taken: it holds every record up to here
    try {
      const stored = await this.o.events.append(all);
      for (let i = 0; i < batch.length; i++) this.pool.seqs.mark(stored[i].seq, this.now());
      if (batch.length) {
        this.durable.records = through;
        this.durable.seq = Math.max(this.durable.seq, stored[batch.length - 1].seq);
      }
      this.stats.appended += stored.length;
      this.stats.flushes++;
      this.stats.lastFlushMs = performance.now() - started;
      this.appended$.next({ events: stored.length, ms: this.stats.lastFlushMs });
      this.stats.pending = this.pending.size;
      for (let i = 0; i < batch.length; i++) this.folded$.next({ event: stored[i], local: true }); // folded at record()
      return stored;
    } catch (err) {
      this.pending.restore(batch); // nothing is lost: the outcomes go out with the next flush
      this.stats.pending = this.pending.size;
      if (!this.stopped && !this.flushTimer && this.pending.size) {
        this.flushTimer = setTimeout(() => void this.flush().catch(() => undefined), Math.max(this.o.flushMs, 1000));
        this.flushTimer.unref(); // a retry must not keep a stopping process alive
      }
      this.log.error({ err }, 'appending events failed; they stay queued');
      throw err;
    }
  }

  private maybeSnapshot(): void {
    if (this.snapshots.due(this.stats.eventsSinceSnapshot) && this.writesSnapshots()) void this.snapshots.once(() => this.snapshot());
  }

  private serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.writing.then(task, task);
    this.writing = run.catch(() => undefined);
    return run;
  }

  /** Keys whose cooldown is over return: the leader records it (the history shows the end), others reindex. */
  private endCooldowns(now: number): void {
    for (const key of this.pool.cooledDown(now)) {
      if (this.isLeader()) for (const e of decideCooldownEnd(key, now)) this.record(e);
      else this.pool.reindex(key.id);
    }
  }
}
