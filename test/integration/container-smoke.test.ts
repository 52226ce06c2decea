// The README's container recipe, proven outside Docker: scripts/container-smoke.ts performs the
// Dockerfile's stages in a clean temporary folder (build context as .dockerignore allows, npm ci,
// build, production-only install, the runtime stage's ENV and CMD, the volume), then checks that the
// service answers, serves the dashboard, passes its HEALTHCHECK, stops cleanly on SIGTERM and keeps
// its keys in the volume across a new "container". Slow-ish (two npm installs and a build).

import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { containerSmoke, dockerignore, NpmUnavailableError, parseDockerfile, parseEnv } from '../../scripts/container-smoke';

const REPO = join(__dirname, '..', '..');

test('the .dockerignore reading follows Docker: root-relative, ** across folders, ! re-includes', () => {
  const ignored = dockerignore('node_modules\n**/*.db\n.env.*\n!.env.example\n');
  assert.ok(ignored('node_modules'));
  assert.ok(ignored('node_modules/x/index.js'));
  assert.not.ok(ignored('src/node_modules.ts'));
  assert.ok(ignored('keys.db'));
  assert.ok(ignored('data/sub/keys.db'));
  assert.ok(ignored('.env.local'));
  assert.not.ok(ignored('.env.example'));
  assert.not.ok(ignored('src/main.ts'));
});

test('the Dockerfile reading: stages, joined lines, ENV pairs', () => {
  const stages = parseDockerfile('ARG X=1\nFROM a AS one\n# c\nRUN a \\\n  && b\nFROM b AS two\nENV A=1 \\\n    B="x y"\nCMD ["node","m.js"]\n');
  assert.equal(stages.map((s) => s.name), ['one', 'two']);
  assert.equal(stages[0].steps, [{ op: 'RUN', args: 'a && b' }]);
  assert.equal(parseEnv(stages[1].steps[0].args), { A: '1', B: 'x y' });
});

test('the image\'s steps, run outside Docker, give a service that starts, stops cleanly and keeps its data', async () => {
  const lines: string[] = [];
  try {
    const result = await containerSmoke({ repo: REPO, log: (l) => lines.push(l) });
    assert.ok(result.steps.some((s) => s.includes('npm ci --omit=dev')), 'the production-only install ran');
    assert.ok(result.steps.some((s) => s.includes('both keys kept')));
  } catch (err) {
    if (err instanceof NpmUnavailableError && process.env.CI !== 'true') {
      console.log(`\n  NOTICE: container smoke skipped: ${err.message.split('\n')[0]}\n`);
      return;
    }
    console.log(lines.join('\n'));
    throw err;
  }
});

test.run();
