// The migrations, listed in code so they run the same from TypeScript sources and compiled output.
import type { Knex } from 'knex';
import * as initial from './001-initial';
import * as snapshotVersion from './002-snapshot-version';
import * as hashedSessions from './003-hashed-sessions';
import * as requestLog from './004-request-log';
import * as failedRequestIndexes from './005-failed-request-indexes';
import * as requestKeyMinutes from './006-request-key-minutes';

const MIGRATIONS: Record<string, { up(k: Knex): Promise<void>; down(k: Knex): Promise<void> }> = {
  '001-initial': initial,
  '002-snapshot-version': snapshotVersion,
  '003-hashed-sessions': hashedSessions,
  '004-request-log': requestLog,
  '005-failed-request-indexes': failedRequestIndexes,
  '006-request-key-minutes': requestKeyMinutes,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(MIGRATIONS),
  getMigrationName: (name) => name,
  getMigration: async (name) => MIGRATIONS[name],
};
