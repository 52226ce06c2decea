// Builds (npm run build) only when the built output is missing or older than its sources, so
// `npm start` on a fresh clone builds once and later starts begin at once.
// Usage: node scripts/ensure-build.mjs   (npm start and npm run reset-admin-password run it first)
import { execSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCES = ['src', 'migrations', 'scripts', 'admin-ui/src', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];
const OUTPUTS = ['dist/src/main.js', 'admin-ui/dist/index.html'];

/** The newest modification time under `path` (a file or a folder), or 0 when it does not exist. */
function newest(path) {
  let st;
  try { st = statSync(path); } catch { return 0; }
  if (!st.isDirectory()) return st.mtimeMs;
  let max = 0;
  for (const name of readdirSync(path)) max = Math.max(max, newest(join(path, name)));
  return max;
}

const built = Math.min(...OUTPUTS.map((p) => newest(join(root, p)) || -Infinity));
const changed = Math.max(...SOURCES.map((p) => newest(join(root, p))));
if (built === -Infinity || changed > built) {
  process.stdout.write(built === -Infinity ? 'No build yet: building (npm run build)…\n' : 'Sources changed since the last build: rebuilding (npm run build)…\n');
  execSync('npm run build --silent', { cwd: root, stdio: 'inherit' });
}
