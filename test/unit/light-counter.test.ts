// LightCounter prints what prom-client's Counter prints for the same increments, so /metrics and every
// dashboard reading it see no difference.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Counter, Registry } from 'prom-client';
import { LightCounter } from '../../src/light-counter';

test('same text as prom-client for the same increments, in first-counted order', async () => {
  const theirs = new Registry();
  const ours = new Registry();
  const c = new Counter({ name: 'orp_x_total', help: 'Things', labelNames: ['route', 'status'] as const, registers: [theirs] });
  const l = new LightCounter('orp_x_total', 'Things', ['route', 'status'] as const, ours);
  assert.is(await ours.metrics(), await theirs.metrics(), 'before any increment');
  const a = l.labels('/v1/chat/completions', '200');
  const b = l.labels('/admin/keys/:id', '404');
  a.inc(); c.labels('/v1/chat/completions', '200').inc();
  b.inc(3); c.labels('/admin/keys/:id', '404').inc(3);
  a.inc(); c.labels('/v1/chat/completions', '200').inc();
  assert.is(await ours.metrics(), await theirs.metrics());
  assert.match(await ours.metrics(), 'orp_x_total{route="/v1/chat/completions",status="200"} 2');
});

test('a child resolved but never counted is not printed; reset empties it; it never goes down', async () => {
  const r = new Registry();
  const l = new LightCounter('orp_y_total', 'Other things', ['class'] as const, r);
  const quiet = l.labels('quota');
  const busy = l.labels('success');
  busy.inc();
  assert.not.match(await r.metrics(), 'quota');
  r.resetMetrics();
  assert.not.match(await r.metrics(), 'success');
  busy.inc();
  assert.match(await r.metrics(), 'orp_y_total{class="success"} 1');
  assert.throws(() => quiet.inc(-1));
  assert.throws(() => l.labels('a', 'b'));
});

test.run();
