// SQLite serves one process: a second process opened on the same file to serve is refused, saying why
// and what to do instead; once the first has stopped, the file can be served again.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcess } from '../helpers/replica-process';

test('a second process on the same SQLite file is refused with a clear message', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'orp-sqlite-two-'));
  const env = { DB_TYPE: 'sqlite', DB_CONNECTION_STRING_SQLITE: join(dir, 'keys.db') };
  const first = await startProcess('first', env, dir);
  try {
    const err = await startProcess('second', env, dir).then(() => null, (e: Error) => e);
    assert.ok(err, 'the second process must not serve');
    assert.match(err!.message, 'ended before listening');
    assert.match(err!.message, `is already served by process ${first.child.pid}`);
    assert.match(err!.message, 'DB_TYPE=mysql');
    assert.ok(first.running, 'the first one goes on serving');
    assert.is((await first.term()).code, 0);
    const again = await startProcess('again', env, dir);
    assert.is((await again.term()).code, 0, 'after a clean stop the file is free again');
  } finally {
    await first.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
