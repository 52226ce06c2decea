// Runs every uvu suite (unit, integration, e2e) in one process and ends with a plain summary line.
// Usage: node scripts/run-tests.mjs [pattern]   (pattern filters test file names)
import { spawn } from 'node:child_process';

const pattern = process.argv[2] ?? '.test.ts$';
const child = spawn(process.execPath, ['node_modules/uvu/bin.js', '-r', 'tsx/cjs', 'test', pattern], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, FORCE_COLOR: '0' },
});
let out = '';
let leaked = false;
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  out += chunk.toString();
  // Every suite has run once uvu prints its duration; a process that then stays alive holds a leaked
  // server, socket or timer (often from a failed test that never reached its cleanup).
  if (/Duration:/.test(out) && !leaked) {
    leaked = true;
    setTimeout(() => {
      process.stdout.write('\nThe test process did not exit 20 s after the last suite: a test left a server, socket or timer open.\n');
      child.kill('SIGKILL');
    }, 20_000).unref();
  }
});
child.on('close', (code, signal) => {
  if (signal) code = 1;
  const num = (label) => Number((out.match(new RegExp(`${label}:\\s+(\\d+)`)) ?? [])[1] ?? 0);
  const total = num('Total');
  const passed = num('Passed');
  const skipped = num('Skipped');
  const failed = Math.max(total - passed - skipped, code === 0 ? 0 : 1);
  process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  process.exit(code === 0 && failed === 0 ? 0 : 1);
});
