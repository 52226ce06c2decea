// SQLite serves one process. A second process that opens the same file to serve is refused with a
// clear message (it would fold a log the first one keeps appending to without reading).

import { hostname } from 'node:os';
import type { MetaStore } from './meta-store';

const NAME = 'sqlite_owner';

interface Owner { origin: string; host: string; pid: number }

export async function claimSqliteFile(meta: MetaStore, path: string, origin: string): Promise<void> {
  if (path === ':memory:') return;
  const raw = await meta.get(NAME);
  if (raw) {
    const owner = JSON.parse(raw) as Owner;
    if (owner.host === hostname() && owner.pid !== process.pid && isAlive(owner.pid)) {
      throw new Error(
        `the SQLite database ${path} is already served by process ${owner.pid}. SQLite is single-process: ` +
        'stop that process, give this one its own DB_CONNECTION_STRING_SQLITE, or use DB_TYPE=mysql for several replicas',
      );
    }
  }
  await meta.set(NAME, JSON.stringify({ origin, host: hostname(), pid: process.pid } satisfies Owner));
}

export async function releaseSqliteFile(meta: MetaStore, origin: string): Promise<void> {
  const raw = await meta.get(NAME);
  if (raw && (JSON.parse(raw) as Owner).origin === origin) await meta.delete(NAME);
}

function isAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM'; }
}
