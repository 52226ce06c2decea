// scripts/encrypt-keys.ts: which secret is old and which is new, from flags or the environment.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { secretsFrom, UsageError } from '../../scripts/encrypt-keys';

test('KEY_ENCRYPTION_SECRET alone is the target: plain keys get encrypted', () => {
  assert.equal(secretsFrom([], { KEY_ENCRYPTION_SECRET: 'k' }), { from: undefined, to: 'k', force: false });
});

test('OLD_/NEW_ rotate; NEW_ wins over KEY_ENCRYPTION_SECRET; flags win over the environment', () => {
  assert.equal(secretsFrom([], { OLD_KEY_ENCRYPTION_SECRET: 'a', NEW_KEY_ENCRYPTION_SECRET: 'b', KEY_ENCRYPTION_SECRET: 'c' }), { from: 'a', to: 'b', force: false });
  assert.equal(secretsFrom(['--from-secret', 'x', '--to-secret', 'y', '--force'], { OLD_KEY_ENCRYPTION_SECRET: 'a', NEW_KEY_ENCRYPTION_SECRET: 'b' }), { from: 'x', to: 'y', force: true });
});

test('refusals name what is wrong', () => {
  const refuses = (argv: string[], env: Record<string, string>, pattern: RegExp) => {
    try { secretsFrom(argv, env); } catch (err) {
      assert.instance(err, UsageError);
      assert.match((err as Error).message, pattern);
      return;
    }
    assert.unreachable(`expected ${pattern}`);
  };
  refuses([], {}, /NEW_KEY_ENCRYPTION_SECRET/);
  refuses(['--to-secret'], {}, /--to-secret needs a value/);
  refuses(['--to-secret', '--force'], {}, /--to-secret needs a value/);
  refuses([], { OLD_KEY_ENCRYPTION_SECRET: 's', NEW_KEY_ENCRYPTION_SECRET: 's' }, /the same/);
  refuses(['--rotate'], { KEY_ENCRYPTION_SECRET: 'k' }, /unknown option --rotate/);
});

test.run();
