// The start log of the real process warns loudly (a warn line, and the same text on stderr) when the proxy is open to any address (no
// APP_API_KEY, HOST not loopback) and says nothing of the kind when either protects it.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnServer } from '../helpers/spawn-server';

/** The JSON log lines up to "Server listening" (the warning, when due, is logged before it). */
async function startLog(env: Record<string, string>): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'orp-open-'));
  try {
    const proc = await spawnServer({ DB_CONNECTION_STRING_SQLITE: join(dir, 'keys.db'), ...env }, dir);
    await proc.waitForLog('Server listening');
    const out = proc.logs().map((l) => JSON.stringify(l)).join('\n');
    await proc.term();
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('no APP_API_KEY on 0.0.0.0: a loud warning on stderr and in the log; with a key or on loopback: none', async () => {
  const open = await startLog({ HOST: '0.0.0.0' });
  assert.match(open, 'WARNING: the proxy is open to any address');
  assert.ok(open.includes('"level":40'), 'a warn line');
  assert.not.match(await startLog({ HOST: '0.0.0.0', APP_API_KEY: 'a-long-app-key-for-the-test' }), 'open to any address');
  assert.not.match(await startLog({ HOST: '127.0.0.1' }), 'open to any address');
});

test.run();
