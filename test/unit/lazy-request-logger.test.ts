import { test } from 'uvu';
import * as assert from 'uvu/assert';
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { lazyChildLogger } from '../../src/http/lazy-request-logger';

function logger() {
  const lines: Record<string, unknown>[] = [];
  const base = pino({ level: 'info' }, { write: (s: string) => { lines.push(JSON.parse(s)); } });
  let children = 0;
  // The lazy child asks its parent only for `level` and `child`: count the children made.
  const parent = { get level() { return base.level; }, child: (b: pino.Bindings, o?: pino.ChildLoggerOptions) => { children++; return base.child(b, o); } };
  return { base: parent as unknown as FastifyBaseLogger, lines, children: () => children };
}

test('a request that never logs makes no child logger', () => {
  const l = logger();
  const log = lazyChildLogger(l.base, { reqId: 'req-1' }, {});
  assert.is(log.level, 'info', 'the level is read without making one');
  assert.is(l.children(), 0);
});

test('the first log call makes the child Fastify would have made: its lines carry the request id', () => {
  const l = logger();
  const log = lazyChildLogger(l.base, { reqId: 'req-2' }, {});
  log.warn({ why: 'x' }, 'first');
  log.info('second');
  log.debug('below the level: not written');
  assert.is(l.children(), 1, 'one child, made once');
  assert.equal(l.lines.map((x) => [x.reqId, x.msg]), [['req-2', 'first'], ['req-2', 'second']]);
  assert.is(l.lines[0].why, 'x');
  log.child({ part: 'inner' }).error('nested');
  assert.equal([l.lines[2].reqId, l.lines[2].part, l.lines[2].msg], ['req-2', 'inner', 'nested']);
});

test('a route log level applies to the lazy child', () => {
  const l = logger();
  const log = lazyChildLogger(l.base, { reqId: 'req-3' }, { level: 'error' });
  assert.is(log.level, 'error');
  log.warn('not written');
  log.error('written');
  assert.equal(l.lines.map((x) => x.msg), ['written']);
});

test.run();
