// The migrations, listed in code so they run the same from TypeScript sources and compiled output.
import type { Knex } from 'knex';
import * as initial from './001-initial';
import * as requestLog from './002-request-log';

const MIGRATIONS: Record<string, { up(k: Knex): Promise<void>; down(k: Knex): Promise<void> }> = {
  '001-initial': initial,
  '002-request-log': requestLog,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(MIGRATIONS),
  getMigrationName: (name) => name,
  getMigration: async (name) => MIGRATIONS[name],
};
