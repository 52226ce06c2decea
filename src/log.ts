// The logging surface the core needs; pino (via fastify) satisfies it, tests can pass a silent one.

export interface Log {
  error(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  debug(obj: unknown, msg?: string): void;
}

export const silentLog: Log = { error() {}, warn() {}, info() {}, debug() {} };
