import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { NewEvent, StoredEvent } from '../../src/events/types';
import { EventWriter } from '../../src/projection/event-writer';
import { ev } from '../helpers/events';
import { SharedLog } from '../helpers/shared-log';

function setup() {
  const log = new SharedLog();
  const store = log.store('me');
  const held: [string, number][] = [];
  const appended: [number, number][] = [];
  const writer = new EventWriter({
    events: store, flushMs: 1e9,
    hooks: {
      held: (e, record) => { held.push([e.type, record]); },
      appended: (stored, outcomes) => { appended.push([stored.length, outcomes]); },
    },
  });
  return { log, store, writer, held, appended };
}

const kinds = (events: readonly (NewEvent | StoredEvent)[]) => events.map((e) => `${e.type}:${e.key_id}`);

test('outcomes are numbered, queued coalesced, and appended in one transaction per flush', async () => {
  const { log, writer, appended } = setup();
  assert.equal([writer.record(ev.used('a')), writer.record(ev.used('a')), writer.record(ev.used('b'))], [1, 2, 3]);
  assert.is(writer.stats.pending, 2, 'the two uses of a are one event');
  await writer.flush();
  assert.equal(kinds(log.all), ['KeyUsed:a', 'KeyUsed:b']);
  assert.equal(appended, [[2, 2]]);
  assert.equal(writer.durable, { records: 3, seq: 2 });
  assert.equal([writer.stats.pending, writer.stats.appended, writer.stats.flushes], [0, 2, 1]);
});

test('a batch the database refuses stays queued, in front, and goes out with the next flush', async () => {
  const { log, writer } = setup();
  writer.record(ev.used('a'));
  writer.record(ev.failed('a', 'credential'));
  log.failNext = true;
  await writer.flush().then(() => assert.unreachable('the flush must reject'), () => undefined);
  assert.is(writer.stats.pending, 2, 'nothing lost');
  assert.equal(writer.durable, { records: 0, seq: 0 }, 'nothing shown as durable');
  writer.record(ev.used('b'));
  await writer.flush();
  assert.equal(kinds(log.all), ['KeyUsed:a', 'KeyFailed:a', 'KeyUsed:b'], 'the failed batch first, in order');
  assert.is(writer.durable.records, 3);
});

test('outcomes recorded while a command is written are stored after it and handed over after its events', async () => {
  const { log, writer, held } = setup();
  writer.record(ev.used('a'));
  let during = -1;
  const order: string[] = [];
  const result = await writer.command(() => {
    // the command is at its turn: what is recorded now must wait for it
    queueMicrotask(() => { during = writer.record(ev.used('b')); });
    return { events: [ev.deactivated('a')], result: 'ok' };
  }, (stored) => { order.push(...kinds(stored)); order.push(`held so far: ${held.length}`); });
  assert.is(during, 0, 'not to be folded at record');
  assert.equal(result.result, 'ok');
  assert.equal(kinds(result.stored), ['KeyDeactivated:a']);
  assert.equal(order, ['KeyDeactivated:a', 'held so far: 0'], 'the command is folded first');
  assert.equal(held, [['KeyUsed', 2]], 'then the held outcome, with its own number');
  assert.equal(kinds(log.all), ['KeyUsed:a', 'KeyDeactivated:a'], 'one transaction: the queued outcome, then the command');
  await writer.flush();
  assert.equal(kinds(log.all), ['KeyUsed:a', 'KeyDeactivated:a', 'KeyUsed:b'], 'the held outcome is stored after the command');
  assert.equal(writer.durable, { records: 2, seq: 3 });
});

test('a command that fails keeps the queued outcomes and still hands over the held ones', async () => {
  const { log, writer, held } = setup();
  writer.record(ev.used('a'));
  log.failNext = true;
  const failed = await writer.command(() => {
    queueMicrotask(() => writer.record(ev.used('b')));
    return { events: [ev.deactivated('a')], result: null };
  }, () => assert.unreachable('nothing stored: nothing to fold')).then(() => false, () => true);
  assert.ok(failed);
  assert.equal(held, [['KeyUsed', 2]]);
  await writer.flush();
  assert.equal(kinds(log.all), ['KeyUsed:a', 'KeyUsed:b'], 'the outcomes survive; the command is not written');
});

test('after stop, outcomes are refused and the queued ones are written', async () => {
  const { log, writer } = setup();
  writer.record(ev.used('a'));
  await writer.stop();
  assert.is(writer.record(ev.used('b')), 0);
  await writer.flush();
  assert.equal(kinds(log.all), ['KeyUsed:a']);
});

test.run();
