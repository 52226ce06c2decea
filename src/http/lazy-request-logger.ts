// Fastify gives every request its own pino child logger (bound to the request id): ~0.4 µs alone, ~1 µs
// under load, for every proxied request, though one that goes well never logs. This child is made on
// the first log call, so a request that logs gets exactly the child Fastify would have made.

import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'fastify/types/logger';

type LogArgs = Parameters<FastifyBaseLogger['info']>;

class LazyChild {
  private made: FastifyBaseLogger | null = null;

  constructor(private readonly parent: FastifyBaseLogger, private readonly bindings: Bindings, private readonly opts: ChildLoggerOptions) {}

  private get log(): FastifyBaseLogger { return (this.made ??= this.parent.child(this.bindings, this.opts)); }

  get level(): string { return this.made ? this.made.level : (this.opts.level ?? this.parent.level); }
  set level(l: string) { this.log.level = l; }

  fatal(...a: LogArgs): void { this.log.fatal(...a); }
  error(...a: LogArgs): void { this.log.error(...a); }
  warn(...a: LogArgs): void { this.log.warn(...a); }
  info(...a: LogArgs): void { this.log.info(...a); }
  debug(...a: LogArgs): void { this.log.debug(...a); }
  trace(...a: LogArgs): void { this.log.trace(...a); }
  silent(...a: LogArgs): void { this.log.silent(...a); }
  child(bindings: Bindings, opts?: ChildLoggerOptions): FastifyBaseLogger { return this.log.child(bindings, opts); }
}

/** Fastify's `childLoggerFactory`: the per-request logger, made when first used. */
export function lazyChildLogger(logger: FastifyBaseLogger, bindings: Bindings, opts: ChildLoggerOptions): FastifyBaseLogger {
  return new LazyChild(logger, bindings, opts) as unknown as FastifyBaseLogger;
}
