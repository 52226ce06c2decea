// Writes .env.example and the README's configuration table from the settings table
// (src/settings/settings-table.ts, as CONFIG_SPEC in src/config.ts), so
// neither can drift from what the service reads. test/unit/env-example.test.ts fails when they differ.
// Usage: npx tsx scripts/gen-env-example.ts          (rewrites both files)
//        npx tsx scripts/gen-env-example.ts --check  (exit 1 when either is out of date)

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_SPEC } from '../src/config';

export const TABLE_START = '<!-- config-table -->';
export const TABLE_END = '<!-- /config-table -->';

const ROOT = join(__dirname, '..');
export const ENV_EXAMPLE_PATH = join(ROOT, '.env.example');
export const README_PATH = join(ROOT, 'README.md');

export function envExample(): string {
  const lines = [
    '# openrouter-polling configuration: copy to .env and uncomment what you change.',
    '# The environment wins over this file. Generated from SETTINGS in src/settings/settings-table.ts by',
    '# scripts/gen-env-example.ts: edit those, not this file.',
  ];
  for (const s of CONFIG_SPEC) {
    lines.push('', `# ${s.doc}${s.live ? ' (live setting)' : ''}${s.def === undefined ? ' (default: unset)' : ''}`, `# ${s.name}=${s.def ?? ''}`);
  }
  return `${lines.join('\n')}\n`;
}

export function configTable(): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const rows = CONFIG_SPEC.map((s) => {
    const def = s.def === undefined ? 'unset' : s.def === '' ? 'empty' : `\`${s.def}\``;
    const doc = `${cell(s.doc)}${s.live ? ' (*live*)' : ''}`;
    return `| \`${s.name}\` | ${def} | ${doc}${s.secret ? ' (secret: never logged)' : ''} |`;
  });
  return ['| variable | default | what it does |', '|---|---|---|', ...rows].join('\n');
}

/** README with the table between its markers (the end marker is added after the first run). */
export function readmeWithTable(readme: string): string {
  const start = readme.indexOf(TABLE_START);
  if (start < 0) throw new Error(`README.md has no ${TABLE_START} marker`);
  const endAt = readme.indexOf(TABLE_END, start);
  const after = endAt < 0 ? readme.slice(start + TABLE_START.length) : readme.slice(endAt + TABLE_END.length);
  return `${readme.slice(0, start)}${TABLE_START}\n${configTable()}\n${TABLE_END}${after}`;
}

if (require.main === module) {
  const check = process.argv.includes('--check');
  const readme = readFileSync(README_PATH, 'utf8');
  const wanted = [
    { path: ENV_EXAMPLE_PATH, now: safeRead(ENV_EXAMPLE_PATH), next: envExample() },
    { path: README_PATH, now: readme, next: readmeWithTable(readme) },
  ];
  let stale = false;
  for (const w of wanted) {
    if (w.now === w.next) continue;
    stale = true;
    if (check) process.stderr.write(`${w.path} is out of date: run npx tsx scripts/gen-env-example.ts\n`);
    else { writeFileSync(w.path, w.next); process.stdout.write(`wrote ${w.path}\n`); }
  }
  if (check && stale) process.exit(1);
}

function safeRead(path: string): string {
  try { return readFileSync(path, 'utf8'); } catch { return ''; }
}
