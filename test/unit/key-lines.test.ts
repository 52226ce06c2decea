import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { keyId, keySuffix, maskKey, parseKeyLines } from '../../src/domain/key-lines';

const real = 'sk-or-v1-' + 'ab'.repeat(32);

test('keys and weights, separated by commas or newlines', () => {
  const lines = parseKeyLines(`${real}:3, other-key-123\n\nthird-key:1000\r\nfourth-key`);
  assert.equal(lines.map((l) => (l.ok ? [l.line, l.weight] : l.error)), [[1, 3], [1, 1], [3, 1000], [4, 1]]);
});

test('bad weights and bad tokens are reported by line, good lines still parse', () => {
  const lines = parseKeyLines('good-key-one:2\nbad-key:0\nbad-key:1001\nbad-key:-1\nbad-key:\nhas space:2\ngood-key-two');
  const errors = lines.filter((l) => !l.ok).map((l) => (l.ok ? '' : l.error));
  assert.equal(errors, [
    'line 2: weight must be an integer from 1 to 1000',
    'line 3: weight must be an integer from 1 to 1000',
    'line 4: weight must be an integer from 1 to 1000',
    "line 5: weight is missing after ':'",
    'line 6: the key must be one token of printable characters without spaces',
  ]);
  assert.is(lines.filter((l) => l.ok).length, 2);
});

test('a key over 256 characters is refused; a non-OpenRouter key is accepted with a warning', () => {
  const [long] = parseKeyLines('x'.repeat(257));
  assert.is(long.ok, false);
  const [odd] = parseKeyLines('custom-key-12345');
  assert.ok(odd.ok && odd.warning?.includes('does not look like an OpenRouter key'));
  const [good] = parseKeyLines(real);
  assert.ok(good.ok && good.warning === null);
});

test('whatever follows a colon must be an integer weight: odd weights and separators are refused, not added', () => {
  const errors = parseKeyLines(`${real}:abc\n${real}:1e9\n${real}:2.5\n:5\nk1-key-one;k2-key-two\nabc:def:5`)
    .map((l) => (l.ok ? `added ${l.secret}` : l.error));
  assert.equal(errors, [
    'line 1: weight "abc" is not an integer from 1 to 1000',
    'line 2: weight "1e9" is not an integer from 1 to 1000',
    'line 3: weight "2.5" is not an integer from 1 to 1000',
    "line 4: the key is empty (nothing before ':')",
    "line 5: a key never contains ';': separate keys with commas or newlines",
    'line 6: weight "def:5" is not an integer from 1 to 1000',
  ]);
});

test('200,000 invalid lines parse in one pass, each reported by its line', () => {
  const lines = parseKeyLines(Array.from({ length: 200_000 }, (_, i) => `bad key ${i}`).join('\n'));
  assert.is(lines.length, 200_000);
  assert.ok(lines.every((l, i) => !l.ok && l.line === i + 1));
});

test('ids are stable hashes; masks and suffixes never reveal most of a key', () => {
  assert.is(keyId(real), keyId(real));
  assert.match(keyId(real), /^[0-9a-f]{16}$/);
  assert.is(maskKey(real), 'sk-or-v1-ab…abab');
  assert.is(keySuffix(real), 'abab');
  assert.is(maskKey('short-key'), 'sh…ey');
  assert.is(maskKey('abc'), '…');
  assert.not.ok(maskKey(real).includes(real.slice(11, -4)));
});

test.run();
