// The request log as the rest of the service sees it: `record` for the proxy (queues, never waits),
// the store for the admin routes, the charts, per-key health, and retention. Rows older than
// REQUEST_LOG_RETENTION_DAYS are pruned every few minutes by the leader (on MySQL one replica
// prunes for all; on SQLite the single process always leads).

import type { Config } from '../config';
import type { Log } from '../log';
import type { Database } from '../store/database';
import { RequestLogStore } from '../store/request-log-store';
import { KeyHealthView } from './key-health';
import { RequestStats } from './stats';
import type { RequestSummary as ProxySummary } from '../proxy/request-summary';
import { fromProxySummary } from './from-proxy';
import type { RequestSummary } from './entry';
import { RequestLogWriter } from './writer';

const PRUNE_EVERY_MS = 10 * 60_000;
const DAY = 86_400_000;

export interface RequestLogOptions {
  db: Database; config: Config; log: Log; now: () => number; isLeader: () => boolean;
  /** The model a request without one was sent with. */
  defaultModel: () => string;
}

export class RequestLog {
  readonly store: RequestLogStore;
  readonly writer: RequestLogWriter;
  readonly stats: RequestStats;
  readonly health: KeyHealthView;
  pruned = 0;
  private timer: NodeJS.Timeout | null = null;
  private first: NodeJS.Timeout | null = null;

  constructor(private readonly o: RequestLogOptions) {
    this.store = new RequestLogStore(o.db, (err) => o.log.warn({ err: err.message }, 'the request log writer thread is gone; writing the request log on the main thread'));
    this.writer = new RequestLogWriter(this.store, o.log, { flushMs: o.config.requestLogFlushMs, maxQueue: o.config.requestLogQueue });
    this.stats = new RequestStats(this.store, o.now);
    this.health = new KeyHealthView(this.store, o.now);
    this.writer.onWritten = () => this.stats.invalidate();
  }

  /** One row; queued, never awaited. */
  readonly record = (s: RequestSummary): void => this.writer.push(s);

  /** The proxy's request-done hook: one summary per client request, however it ended. */
  readonly recordProxy = (s: ProxySummary): void => this.writer.push(fromProxySummary(s, this.o.defaultModel()));

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.pruneNow(), PRUNE_EVERY_MS);
    this.timer.unref();
    this.first = setTimeout(() => void this.pruneNow(), 5000); // soon after start, not in its way
    this.first.unref();
  }

  /** Deletes rows past retention (leader only); resolves with how many went. */
  async pruneNow(): Promise<number> {
    if (!this.o.isLeader()) return 0;
    try {
      const n = await this.store.prune(this.o.now() - this.o.config.requestLogRetentionDays * DAY);
      this.pruned += n;
      if (n > 0) this.o.log.info({ rows: n, retention_days: this.o.config.requestLogRetentionDays }, 'pruned the request log');
      return n;
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, 'request log pruning failed');
      return 0;
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.first) clearTimeout(this.first);
    this.timer = null;
    await this.writer.stop();
    await this.store.close();
  }
}
