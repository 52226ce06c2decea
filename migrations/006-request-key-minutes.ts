import type { Knex } from 'knex';

// Per-key attempts by minute and outcome, added to in the same transaction as the rows (like
// request_minutes): the key table's success rates and hourly trends read minutes, not a day of
// attempts (130–200 ms at 1,000,000 requests through request_keys' time index, BENCHMARKS.md §4).
// With that, request_keys' time index has no reader and goes; on SQLite request_keys becomes a
// WITHOUT ROWID table on its primary key, so each tried key is one b-tree entry fewer again (the
// rowid table held nothing the key held not). Each row of the request log then costs its writer
// two b-tree inserts fewer.
//
// MySQL commits each DDL statement on its own, so a start that stops half-way through this migration
// leaves part of it done and runs it again next time: every step there checks what is already done.
export async function up(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasTable('request_key_minutes'))) {
    await knex.schema.createTable('request_key_minutes', (t) => {
      t.bigInteger('minute').notNullable(); // ms since the epoch, a whole minute
      t.string('key_id', 32).notNullable();
      t.string('outcome', 16).notNullable();
      t.integer('n').notNullable();
      t.primary(['minute', 'key_id', 'outcome']);
    });
  }
  await knex('request_key_minutes').delete(); // nothing writes it before this migration is recorded
  await knex.raw(
    'INSERT INTO request_key_minutes (minute, key_id, outcome, n) ' +
    'SELECT at - (at % 60000), key_id, outcome, COUNT(*) FROM request_keys GROUP BY at - (at % 60000), key_id, outcome',
  );
  if (knex.client.config.client !== 'better-sqlite3') {
    if (await hasMysqlIndex(knex, 'request_keys', 'request_keys_at')) await knex.raw('ALTER TABLE request_keys DROP INDEX request_keys_at');
    return;
  }
  await knex.raw(
    'CREATE TABLE request_keys_new (request_id bigint NOT NULL, key_id varchar(32) NOT NULL, at bigint NOT NULL, ' +
    'outcome varchar(16) NOT NULL, PRIMARY KEY (key_id, at, request_id)) WITHOUT ROWID',
  );
  await knex.raw('INSERT INTO request_keys_new (request_id, key_id, at, outcome) SELECT request_id, key_id, at, outcome FROM request_keys');
  await knex.raw('DROP TABLE request_keys');
  await knex.raw('ALTER TABLE request_keys_new RENAME TO request_keys');
  await knex.raw('CREATE INDEX request_keys_request ON request_keys (request_id)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('request_key_minutes');
  if (knex.client.config.client !== 'better-sqlite3') {
    if (!(await hasMysqlIndex(knex, 'request_keys', 'request_keys_at'))) await knex.raw('CREATE INDEX request_keys_at ON request_keys (at)');
    return;
  }
  await knex.schema.createTable('request_keys_old', (t) => {
    t.bigInteger('request_id').notNullable();
    t.string('key_id', 32).notNullable();
    t.bigInteger('at').notNullable();
    t.string('outcome', 16).notNullable();
    t.primary(['key_id', 'at', 'request_id']);
  });
  await knex.raw('INSERT INTO request_keys_old (request_id, key_id, at, outcome) SELECT request_id, key_id, at, outcome FROM request_keys');
  await knex.raw('DROP TABLE request_keys');
  await knex.raw('ALTER TABLE request_keys_old RENAME TO request_keys');
  await knex.raw('CREATE INDEX request_keys_request ON request_keys (request_id)');
  await knex.raw('CREATE INDEX request_keys_at ON request_keys (at)');
}

async function hasMysqlIndex(knex: Knex, table: string, index: string): Promise<boolean> {
  const [rows] = (await knex.raw(`SHOW INDEX FROM ${table} WHERE Key_name = ?`, [index])) as [unknown[]];
  return rows.length > 0;
}
