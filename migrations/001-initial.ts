import type { Knex } from 'knex';

// One schema for SQLite and MySQL. Times are ms since the epoch in BIGINT columns.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('key_events', (t) => {
    t.bigIncrements('seq').primary();
    t.bigInteger('at').notNullable();
    t.string('type', 40).notNullable();
    t.string('key_id', 32).nullable();
    t.string('actor', 16).notNullable();
    t.string('origin', 64).notNullable();
    t.text('data', 'mediumtext').notNullable();
    t.index(['key_id', 'seq'], 'key_events_key_seq');
    t.index(['type', 'seq'], 'key_events_type_seq');
  });
  await knex.schema.createTable('snapshots', (t) => {
    t.increments('id').primary();
    t.bigInteger('seq').notNullable(); // every event with seq <= this is folded in
    t.text('above', 'mediumtext').notNullable(); // JSON list of folded seqs above `seq` (replica gaps)
    t.bigInteger('at').notNullable();
    t.integer('events').notNullable(); // events folded into it, for the status page
    t.text('state', 'longtext').notNullable();
  });
  await knex.schema.createTable('key_secrets', (t) => {
    t.string('key_id', 32).primary();
    t.text('secret').notNullable();
    t.boolean('encrypted').notNullable();
    t.bigInteger('created_at').notNullable();
  });
  await knex.schema.createTable('meta', (t) => {
    t.string('name', 64).primary();
    t.text('value').notNullable();
  });
  await knex.schema.createTable('admin_sessions', (t) => {
    t.string('sid', 64).primary();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable();
  });
  await knex.schema.createTable('leases', (t) => {
    t.string('name', 64).primary();
    t.string('owner', 64).notNullable();
    t.bigInteger('expires_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['leases', 'admin_sessions', 'meta', 'key_secrets', 'snapshots', 'key_events']) {
    await knex.schema.dropTableIfExists(table);
  }
}
