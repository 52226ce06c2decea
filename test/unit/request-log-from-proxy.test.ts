// The proxy's request summary becomes a request-log row with docs/api.md's outcome names; a request
// every key failed is named by its last failure's class.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { RequestSummary } from '../../src/proxy/request-summary';
import { fromProxySummary } from '../../src/request-log/from-proxy';

const base: RequestSummary = {
  at: 1, route: '/v1/messages', protocol: 'messages', model: null, stream: false, status: 200, outcome: 'success',
  attempts: [], latency_ms: 5, ttfb_ms: 4, input_tokens: null, output_tokens: null, cost: null, generation_id: null, client_address: null,
};
const a = (key_id: string, outcome: RequestSummary['attempts'][number]['outcome']) => ({ key_id, outcome, status: null, reason: null, ms: 1 });

test('outcomes and keys tried', () => {
  const cases: [Partial<RequestSummary>, string, string[]][] = [
    [{ outcome: 'success', attempts: [a('k1', 'transient'), a('k2', 'success')] }, 'ok', ['transient', 'ok']],
    [{ outcome: 'caller_error', attempts: [a('k1', 'caller')] }, 'caller', ['caller']],
    [{ outcome: 'upstream_error', attempts: [a('k1', 'transient'), a('k2', 'rate_limit')] }, 'rate_limit', ['transient', 'rate_limit']],
    [{ outcome: 'no_available_keys' }, 'no_key', []],
    [{ outcome: 'client_closed', attempts: [a('k1', 'aborted')] }, 'client_abort', ['client_abort']],
    [{ outcome: 'shutdown', attempts: [a('k1', 'aborted')] }, 'transient', ['transient']],
  ];
  for (const [over, outcome, tried] of cases) {
    const row = fromProxySummary({ ...base, ...over }, 'default/model');
    assert.is(row.outcome, outcome, over.outcome);
    assert.equal(row.keys_tried.map((k) => k.outcome), tried);
    assert.is(row.attempts, tried.length);
    assert.is(row.key_id, row.keys_tried.at(-1)?.id ?? null);
  }
  const row = fromProxySummary(base, 'default/model');
  assert.is(row.model, 'default/model');
  assert.equal([row.input_tokens, row.output_tokens, row.cost, row.client], [0, 0, null, '']);
});

test.run();
