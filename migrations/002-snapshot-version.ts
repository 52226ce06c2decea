import type { Knex } from 'knex';

// Snapshots say which format their state is in; a start ignores a version it does not know. The
// snapshots written before this column existed are in format 1.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('snapshots', (t) => {
    t.integer('version').notNullable().defaultTo(1);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('snapshots', (t) => { t.dropColumn('version'); });
}
