import type { Knex } from 'knex';

// On SQLite the two indexes on `ok` only hold failed requests (partial indexes): `ok` is exactly
// `outcome = 'ok'`, so "status=ok" reads (outcome, at) and (model, outcome, at), and only "status=error"
// needs an index of its own, of the failures. Nine in ten rows then go into two b-trees fewer, which is
// most of what a request costs the request log (BENCHMARKS.md §3, run G). MySQL has no partial indexes
// and keeps both as they are.
export async function up(knex: Knex): Promise<void> {
  if (knex.client.config.client !== 'better-sqlite3') return;
  await knex.raw('DROP INDEX IF EXISTS request_log_ok_at');
  await knex.raw('DROP INDEX IF EXISTS request_log_model_ok_at');
  await knex.raw('CREATE INDEX request_log_failed_at ON request_log (at) WHERE ok = 0');
  await knex.raw('CREATE INDEX request_log_model_failed_at ON request_log (model, at) WHERE ok = 0');
}

export async function down(knex: Knex): Promise<void> {
  if (knex.client.config.client !== 'better-sqlite3') return;
  await knex.raw('DROP INDEX IF EXISTS request_log_failed_at');
  await knex.raw('DROP INDEX IF EXISTS request_log_model_failed_at');
  await knex.raw('CREATE INDEX request_log_ok_at ON request_log (ok, at)');
  await knex.raw('CREATE INDEX request_log_model_ok_at ON request_log (model, ok, at)');
}
