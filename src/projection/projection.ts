// The projection as the service sees it: the fold (pool-fold.ts), the event writer (event-writer.ts),
// the snapshotter and the cooldown timer, wired together. Proxy and probe outcomes are folded at once
// and appended in batches; admin commands are appended first and folded when durable. Request code
// reads `state` and picks synchronously. This is the one module with RxJS: subscribers of `folded`
// hear commands and other replicas' events as they are folded, and this process's outcomes once per
// flush (coalesced, as written), never inside a proxy request; what must hear each outcome as it is
// folded is a typed hook (afterLocalFold).

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
import { EventWriter, type WriterStats } from './event-writer';
import { PoolFold, type FoldStats, type PoolView } from './pool-fold';
import { SeqTracker } from './seq-tracker';
import { trustedSnapshot } from './snapshot-check';
import { Snapshotter, type SnapshotStats } from './snapshotter';

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

export type ProjectionStats = FoldStats & WriterStats & SnapshotStats;

/** A folded event; `local` ones were folded before they were durable. */
export interface Folded { event: NewEvent | StoredEvent; local: boolean }

export class Projection implements PoolView {
  /** Every piece counts into this one object (metrics and the status page read it). */
  readonly stats: ProjectionStats = {
    folded: 0, foldErrors: 0, appended: 0, flushes: 0, lastFlushMs: 0,
    eventsSinceSnapshot: 0, lastSnapshotAt: null, lastSnapshotSeq: 0, pending: 0,
  };
  readonly now: () => number;
  readonly random: Random;
  /** The fold: state, seqs and the indexes picked from; readers see it through the PoolView getters below. */
  private readonly pool: PoolFold;
  private readonly writer: EventWriter;
  private readonly snapshots: Snapshotter;
  private readonly cooldowns: CooldownTimer;
  private readonly folded$ = new Subject<Folded>();
  private readonly appended$ = new Subject<{ events: number; ms: number }>();
  /** Typed hooks called right after each local outcome is folded (a replica's overlay). */
  private readonly localFoldHooks: ((event: NewEvent, record: number) => void)[] = [];
  private readonly log: Log;

  constructor(private readonly o: ProjectionOptions) {
    this.now = o.now ?? Date.now;
    this.random = o.random ?? Math.random;
    this.log = o.log ?? silentLog;
    this.pool = new PoolFold({
      now: this.now, random: this.random, log: this.log, freeLimits: o.freeLimits, stats: this.stats,
      cooling: (until) => this.cooldowns.cooling(until),
    });
    this.writer = new EventWriter({
      events: o.events, flushMs: o.flushMs, log: this.log, stats: this.stats,
      hooks: { held: (event, record) => this.foldLocal(event, record), appended: (stored, outcomes, ms) => this.appendedNow(stored, outcomes, ms) },
    });
    this.snapshots = new Snapshotter({ store: o.snapshots, every: o.snapshotEvery, kept: o.snapshotsKept, now: this.now, log: this.log, stats: this.stats });
    this.cooldowns = new CooldownTimer({ now: this.now, earliest: () => this.pool.earliestCoolEnd(), due: (now) => this.endCooldowns(now) });
  }

  get state(): PoolState { return this.pool.state; }
  get index(): WeightedIndex { return this.pool.index; }
  /** The keys that may take a `:free` request now (paced per key, window and day). */
  get free(): FreeSelection { return this.pool.free; }
  get seqs(): SeqTracker { return this.pool.seqs; }
  /** Outcomes recorded so far (each `record` call is numbered). */
  get recordedCount(): number { return this.writer.recordedCount; }
  /** Recorded outcomes numbered up to `records` are durable, at seqs up to `seq`. */
  get durable(): { readonly records: number; readonly seq: number } { return this.writer.durable; }

  /**
   * Every event folded, for the edges (secret cache, live settings, log level). Local outcomes come
   * once their batch is appended, as stored (uses of one key coalesced), not one by one as folded.
   */
  get folded(): Observable<Folded> { return this.folded$; }

  /** Every batch appended to the log: how many events, how long the transaction took (for metrics). */
  get appended(): Observable<{ events: number; ms: number }> { return this.appended$; }

  /** Calls `fn` right after every local outcome is folded, with its record number; returns an unhook. */
  afterLocalFold(fn: (event: NewEvent, record: number) => void): () => void {
    this.localFoldHooks.push(fn);
    return () => {
      const i = this.localFoldHooks.indexOf(fn);
      if (i >= 0) this.localFoldHooks.splice(i, 1);
    };
  }

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
  whenIdle<T>(task: () => T): Promise<T> { return this.writer.whenIdle(task); }

  /** Starts the timers (cooldown ends). Flushes are scheduled on demand. */
  start(): void { this.cooldowns.start(); }

  /** Folds a proxy or probe outcome now; it is appended with the next batch. */
  record(event: NewEvent): void {
    const n = this.writer.record(event);
    if (n > 0) this.foldLocal(event, n);
  }

  /**
   * An admin command: `decide` sees the state at its turn in the write queue and returns the events;
   * they are appended (after any pending outcomes, in one transaction) and folded before this resolves.
   */
  command<T>(decide: (state: PoolState) => { events: NewEvent[]; result: T }): Promise<{ stored: StoredEvent[]; result: T }> {
    return this.writer.command(() => decide(this.pool.state), (stored) => {
      for (const e of stored) {
        this.foldStored(e);
        this.pool.seqs.mark(e.seq, this.now());
      }
      this.maybeSnapshot();
    });
  }

  /** Appends every pending outcome in one transaction. On a database error they stay queued. */
  flush(): Promise<void> { return this.writer.flush(); }

  /** Writes a snapshot that covers exactly the events folded so far. */
  snapshot(): Promise<void> {
    return this.writer.whenIdle(async () => {
      // Captured before the queued outcomes are appended: the snapshot then covers exactly the durable
      // events, this batch and nothing else, whatever is folded while the append is awaited.
      const capture = this.snapshots.capture(this.pool.state, this.stats.folded);
      const covered = new SeqTracker(this.pool.seqs.watermark, this.pool.seqs.aboveList());
      for (const e of await this.writer.appendQueued()) covered.mark(e.seq);
      await this.snapshots.save(capture, covered.watermark, covered.aboveList());
      this.stats.eventsSinceSnapshot = this.stats.folded - capture.events;
    });
  }

  /** Flushes, writes a final snapshot (when this process may), and stops the timers. */
  async stop(): Promise<void> {
    this.cooldowns.stop();
    await this.writer.flush();
    if (this.writesSnapshots() && this.stats.eventsSinceSnapshot > 0) await this.snapshot();
    await this.writer.stop(); // and what was recorded while the snapshot was written
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

  /** A stored event (a command's, another replica's): folded and announced at once. */
  private foldStored(event: StoredEvent): void {
    if (this.pool.fold(event)) this.folded$.next({ event, local: false });
  }

  /** A local outcome: folded now, announced with its batch (appendedNow). */
  private foldLocal(event: NewEvent, record: number): void {
    if (!this.pool.fold(event)) return;
    for (let i = 0; i < this.localFoldHooks.length; i++) this.localFoldHooks[i](event, record);
  }

  /** A batch is durable: its outcomes' seqs are marked folded (they were, at record) and announced. */
  private appendedNow(stored: StoredEvent[], outcomes: number, ms: number): void {
    const now = this.now();
    for (let i = 0; i < outcomes; i++) this.pool.seqs.mark(stored[i].seq, now);
    this.appended$.next({ events: stored.length, ms });
    for (let i = 0; i < outcomes; i++) this.folded$.next({ event: stored[i], local: true });
    this.maybeSnapshot();
  }

  private maybeSnapshot(): void {
    if (this.snapshots.due(this.stats.eventsSinceSnapshot) && this.writesSnapshots()) void this.snapshots.once(() => this.snapshot());
  }

  /** Keys whose cooldown is over return: the leader records it (the history shows the end), others reindex. */
  private endCooldowns(now: number): void {
    for (const key of this.pool.cooledDown(now)) {
      if (this.isLeader()) for (const e of decideCooldownEnd(key, now)) this.record(e);
      else this.pool.reindex(key.id);
    }
  }
}
