// Where the project's files are, from src/ (tsx) or from dist/src/ (compiled): the nearest folder up
// that holds package.json.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

function findRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

export const PROJECT_ROOT = findRoot();

export const APP_VERSION: string = (() => {
  try { return String(JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')).version); } catch { return 'unknown'; }
})();
