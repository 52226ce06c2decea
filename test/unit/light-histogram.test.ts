// LightHistogram prints what prom-client's Histogram prints for the same observations, so /metrics
// and every dashboard reading it see no difference.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Histogram, Registry } from 'prom-client';
import { LightHistogram } from '../../src/light-histogram';

const BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 10];

test('same text as prom-client for the same observations, +Inf and sum included', async () => {
  const theirs = new Registry();
  const ours = new Registry();
  const h = new Histogram({ name: 'orp_x_seconds', help: 'A time', buckets: BUCKETS, registers: [theirs] });
  const l = new LightHistogram('orp_x_seconds', 'A time', BUCKETS, ours);
  assert.is(await ours.metrics(), await theirs.metrics(), 'before any observation');
  for (const v of [0, 0.01, 0.011, 0.2, 0.7, 3, 11, 1e6, 0.05]) { h.observe(v); l.observe(v); }
  assert.is(await ours.metrics(), await theirs.metrics());
  assert.match(await ours.metrics(), 'orp_x_seconds_bucket{le="0.05"} 4');
  assert.match(await ours.metrics(), 'orp_x_seconds_count 9');
});

test('a value that is not a number is not counted; reset empties it', async () => {
  const r = new Registry();
  const l = new LightHistogram('orp_y_seconds', 'Another', BUCKETS, r);
  l.observe(Number.NaN);
  l.observe(0.2);
  assert.match(await r.metrics(), 'orp_y_seconds_count 1');
  r.resetMetrics();
  assert.match(await r.metrics(), 'orp_y_seconds_count 0');
});

test.run();
