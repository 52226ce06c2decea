// Whether a database error may go away by itself (a lost connection, a lock another writer held, a
// deadlock InnoDB broke), so the same write is worth trying again; the rest (a bad row, a missing
// column) would be refused again.

const TRANSIENT = new Set([
  // MySQL / MariaDB (mysql2)
  'ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', 'ER_CON_COUNT_ERROR', 'ER_SERVER_SHUTDOWN', 'ER_QUERY_INTERRUPTED',
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT',
  // the network
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  // SQLite: another connection held the lock for longer than the busy timeout
  'SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED',
]);

export function isTransientDbError(err: unknown): boolean {
  const e = err as { code?: unknown; name?: unknown } | null;
  if (e === null || typeof e !== 'object') return false;
  if (e.name === 'KnexTimeoutError') return true; // no connection from the pool in time
  return typeof e.code === 'string' && TRANSIENT.has(e.code);
}
