// A read transaction held open on the database's connection until `release()`: for what must wait
// for it (the one SQLite connection) and what must not (the request log's writer thread).
import type { Knex } from 'knex';

export async function holdTransaction(knex: Knex): Promise<{ release: () => void; done: Promise<unknown> }> {
  let release!: () => void;
  let entered!: () => void;
  const held = new Promise<void>((r) => { release = r; });
  const inside = new Promise<void>((r) => { entered = r; });
  const done = knex.transaction(async (t) => { await t('request_minutes').select('minute').limit(1); entered(); await held; });
  await inside;
  return { release, done };
}
