import type { Knex } from 'knex';

// The request log (DESIGN.md "What the operator sees"): one row per client request, and one row per
// key it tried, so "every request that touched key X" is an index range, not a scan of JSON.
// Times are ms since the epoch. Pages are ordered by (at, id) newest first, and every filter of
// GET /admin/requests has an index (filter, at) — the id rides along in every secondary index — so a
// filtered page within a time range is read in order straight from one index.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('request_log', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('at').notNullable();
    t.string('route', 64).notNullable();
    t.string('model', 200).notNullable();
    t.boolean('stream').notNullable();
    t.integer('status').notNullable();
    t.boolean('ok').notNullable();
    t.string('outcome', 16).notNullable();
    t.integer('attempts').notNullable();
    t.string('key_id', 32).nullable(); // the key that answered, or the last one tried
    t.text('keys_tried').notNullable(); // JSON [{"id","outcome"}], in order
    t.integer('latency_ms').notNullable();
    t.integer('ttfb_ms').nullable();
    t.integer('input_tokens').notNullable();
    t.integer('output_tokens').notNullable();
    t.double('cost').nullable(); // OpenRouter's usage.cost, in credits (USD)
    t.string('client', 64).notNullable();
    t.index(['at'], 'request_log_at');
    t.index(['status', 'at'], 'request_log_status_at');
    t.index(['ok', 'at'], 'request_log_ok_at');
    t.index(['outcome', 'at'], 'request_log_outcome_at');
    t.index(['model', 'at'], 'request_log_model_at');
    // Two filters at once: without these a count reads every row of the first filter from the table.
    t.index(['model', 'outcome', 'at'], 'request_log_model_outcome_at');
    t.index(['model', 'status', 'at'], 'request_log_model_status_at');
    t.index(['model', 'ok', 'at'], 'request_log_model_ok_at');
    t.index(['outcome', 'status', 'at'], 'request_log_outcome_status_at');
  });
  // The charts' rollups, added to in the same transaction as the rows (an upsert that adds, so
  // replicas writing the same minute add up): GET /admin/stats reads minutes, not requests.
  await knex.schema.createTable('request_minutes', (t) => {
    t.bigInteger('minute').notNullable(); // ms since the epoch, a whole minute
    t.string('outcome', 16).notNullable();
    t.integer('requests').notNullable();
    t.bigInteger('input_tokens').notNullable();
    t.bigInteger('output_tokens').notNullable();
    t.double('cost').notNullable();
    t.primary(['minute', 'outcome']);
  });
  await knex.schema.createTable('request_minute_latency', (t) => {
    t.bigInteger('minute').notNullable();
    t.integer('bin').notNullable(); // index into LATENCY_EDGES (src/request-log/stats.ts)
    t.integer('n').notNullable();
    t.primary(['minute', 'bin']);
  });
  await knex.schema.createTable('request_keys', (t) => {
    t.bigInteger('request_id').notNullable();
    t.string('key_id', 32).notNullable();
    t.bigInteger('at').notNullable();
    t.string('outcome', 16).notNullable();
    t.primary(['key_id', 'at', 'request_id']);
    t.index(['request_id'], 'request_keys_request');
    t.index(['at'], 'request_keys_at');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('request_minute_latency');
  await knex.schema.dropTableIfExists('request_minutes');
  await knex.schema.dropTableIfExists('request_keys');
  await knex.schema.dropTableIfExists('request_log');
}
