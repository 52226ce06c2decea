import type { Knex } from 'knex';

// admin_sessions now holds SHA-256 hashes of session ids, never the ids: the rows written before
// held the ids themselves (a backup could present them), so they go, and admins log in once more.
export async function up(knex: Knex): Promise<void> {
  await knex('admin_sessions').delete();
}

export async function down(): Promise<void> {
  // Nothing to undo: the hashes cannot be turned back into ids.
}
