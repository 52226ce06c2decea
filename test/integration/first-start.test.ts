// The first hour (issue 13): the start log names the dashboard's address, and `npm start` builds only
// when the build is missing or older than the sources.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnServer } from '../helpers/spawn-server';

const ROOT = join(__dirname, '..', '..');
const t = suite('first start');

t('the start log prints the admin URL', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'orp-first-'));
  const proc = await spawnServer({ DB_CONNECTION_STRING_SQLITE: join(dir, 'keys.db') }, dir);
  try {
    const port = new URL(proc.url).port;
    await proc.waitForLog('admin dashboard');
    const line = proc.logs().find((l) => String(l.msg).startsWith('admin dashboard'))!;
    assert.is(line.msg, `admin dashboard: http://127.0.0.1:${port}/admin/`);
  } finally { await proc.term(); rmSync(dir, { recursive: true, force: true }); }
});

t('ensure-build builds a fresh checkout once, then not again until a source changes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'orp-build-'));
  try {
    mkdirSync(join(dir, 'scripts'));
    mkdirSync(join(dir, 'src'));
    copyFileSync(join(ROOT, 'scripts', 'ensure-build.mjs'), join(dir, 'scripts', 'ensure-build.mjs'));
    writeFileSync(join(dir, 'src', 'main.ts'), '// source');
    // A stand-in build that writes both outputs and counts its runs.
    const build = "const f=require('fs');f.mkdirSync('dist/src',{recursive:true});f.mkdirSync('admin-ui/dist',{recursive:true});f.writeFileSync('dist/src/main.js','');f.writeFileSync('admin-ui/dist/index.html','');f.appendFileSync('builds','x')";
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'x', version: '1.0.0', scripts: { build: `node -e "${build}"` } }));
    const run = () => execFileSync(process.execPath, [join(dir, 'scripts', 'ensure-build.mjs')], { cwd: dir, stdio: 'pipe' });
    const builds = () => readFileSync(join(dir, 'builds'), 'utf8').length;
    run();
    assert.is(builds(), 1, 'a fresh checkout is built');
    run();
    run();
    assert.is(builds(), 1, 'an up-to-date build is not rebuilt');
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(dir, 'src', 'main.ts'), later, later);
    run();
    assert.is(builds(), 2, 'a changed source is rebuilt');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
t.run();
