/**
 * Every benchmark, one after the other, each in its own process (the core run leaves a large heap
 * behind that the proxy's load generator should not inherit). `npm run bench`; about 13 minutes.
 *
 *   npx tsx scripts/bench/run-all.ts [--json-dir DIR]   # DIR/core.json, proxy.json, relay.json: the raw figures
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { argValue } from './stats';

const ROOT = resolve(__dirname, '../..');
const jsonDir = argValue('json-dir');
let failed = 0;
for (const name of ['core', 'proxy', 'relay']) {
  const args = ['-r', 'tsx/cjs', `scripts/bench/${name}.ts`, ...(jsonDir ? ['--json', join(jsonDir, `${name}.json`)] : [])];
  // Each script bounds its own phases (~9.5 minutes at most); this is the backstop.
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit', timeout: 11 * 60_000 });
  if (r.status !== 0) {
    failed++;
    console.error(`\n${name} benchmark failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`})`);
  }
}
process.exit(failed ? 1 : 0);
