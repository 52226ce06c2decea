// .env.example and the README's configuration table are generated from the settings table (CONFIG_SPEC): a variable added
// to src/settings/settings-table.ts without regenerating them (npx tsx scripts/gen-env-example.ts) fails here.

import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CONFIG_SPEC } from '../../src/config';
import { configTable, envExample, ENV_EXAMPLE_PATH, README_PATH, TABLE_END, TABLE_START } from '../../scripts/gen-env-example';

test('.env.example is exactly what the generator writes', () => {
  assert.fixture(readFileSync(ENV_EXAMPLE_PATH, 'utf8'), envExample());
});

test('.env.example names every variable with its default', () => {
  const text = readFileSync(ENV_EXAMPLE_PATH, 'utf8');
  for (const s of CONFIG_SPEC) assert.ok(text.includes(`# ${s.name}=${s.def ?? ''}\n`), `${s.name} missing from .env.example`);
});

test('the README holds the generated configuration table, naming every variable', () => {
  const readme = readFileSync(README_PATH, 'utf8');
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  assert.ok(start >= 0 && end > start, 'README.md has no config-table markers');
  assert.fixture(readme.slice(start + TABLE_START.length, end).trim(), configTable());
  for (const s of CONFIG_SPEC) assert.ok(readme.includes(`\`${s.name}\``), `${s.name} missing from README.md`);
});

test('no default in the examples is a secret', () => {
  for (const s of CONFIG_SPEC.filter((x) => x.secret)) assert.ok(!s.def, `${s.name} has a default value`);
});

test.run();
