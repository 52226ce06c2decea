/**
 * Runnable mock OpenRouter upstream for manual runs and benchmarks.
 *
 *   npx tsx scripts/mock-upstream.ts --port 9999
 *   npx tsx scripts/mock-upstream.ts --port 9999 --invalid sk-a,sk-b --rate-limited sk-c --chunk-delay 20
 *
 * Prints the base URL (use it as OPENROUTER_BASE_URL). Every key answers `ok` unless a flag says otherwise.
 */
import { parseArgs } from 'node:util';
import { scenarios, startMockUpstream, type Scenario } from '../test/helpers/mock-upstream';

const HELP = `usage: tsx scripts/mock-upstream.ts [options]
  --port N             port on 127.0.0.1 (default 9999; 0 = any free port)
  --chunks a,b,c       streamed content pieces (default "Hello, from, mock")
  --chunk-delay MS     delay before each streamed content chunk (default 0)
  --first-byte MS      delay before every answer starts (default 0)
  --invalid KEYS       comma-separated keys answering 401 "User not found." (and 401 on GET /key)
  --no-credits KEYS    keys answering 402
  --key-limit KEYS     keys answering 403 "Key limit exceeded (daily limit)"
  --rate-limited KEYS  keys answering 429 with Retry-After: 1
  --free-daily KEYS    keys answering 429 free-models-per-day (reset at next UTC midnight)
  --server-error KEYS  keys answering 500
  --overloaded KEYS    keys answering 503
  --hang KEYS          keys that never answer
  --no-tools           answer with text even when the request offers tools (coding agents always do)
  --record             keep every request in memory (off by default for benchmarks)
  --log-requests       print one line per request: method, path, credential header, stream, tools
  --quiet              no per-second request counter`;

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '9999' },
    chunks: { type: 'string' },
    'chunk-delay': { type: 'string', default: '0' },
    'first-byte': { type: 'string', default: '0' },
    invalid: { type: 'string', default: '' },
    'no-credits': { type: 'string', default: '' },
    'key-limit': { type: 'string', default: '' },
    'rate-limited': { type: 'string', default: '' },
    'free-daily': { type: 'string', default: '' },
    'server-error': { type: 'string', default: '' },
    overloaded: { type: 'string', default: '' },
    hang: { type: 'string', default: '' },
    record: { type: 'boolean', default: false },
    'log-requests': { type: 'boolean', default: false },
    'no-tools': { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log(HELP);
  process.exit(0);
}

const list = (s: string | undefined): string[] => (s ?? '').split(',').map((x) => x.trim()).filter(Boolean);
const int = (s: string | undefined, name: string): number => {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name} must be a non-negative integer`);
    process.exit(2);
  }
  return n;
};

const firstByte = int(values['first-byte'], 'first-byte');
const wrap = (s: Scenario): Scenario => (firstByte > 0 ? scenarios.slowFirstByte(firstByte, s) : s);

const keys: Record<string, Scenario> = {};
const labels: string[] = [];
const failing: [string, () => Scenario][] = [
  ['invalid', scenarios.userNotFound],
  ['no-credits', () => scenarios.noCredits()],
  ['key-limit', () => scenarios.keyLimitExceeded()],
  ['rate-limited', () => scenarios.rateLimited({ retryAfterSec: 1 })],
  ['free-daily', () => scenarios.freeModelsPerDay()],
  ['server-error', scenarios.serverError],
  ['overloaded', () => scenarios.overloaded()],
  ['hang', scenarios.hang],
];
for (const [flag, make] of failing) {
  for (const key of list(values[flag as keyof typeof values] as string | undefined)) {
    keys[key] = wrap(make());
    labels.push(`  ${key.slice(0, 12)}… → ${flag}`);
  }
}

async function main(): Promise<void> {
  const chunks = values.chunks === undefined ? undefined : values.chunks.split(',');
  const mock = await startMockUpstream({
    port: int(values.port, 'port'),
    chunks,
    chunkDelayMs: int(values['chunk-delay'], 'chunk-delay'),
    defaultScenario: wrap({ kind: 'ok' }),
    keys,
    record: values.record || values['log-requests'],
    answerTools: !values['no-tools'],
  });
  console.log(`mock OpenRouter upstream listening: ${mock.url}`);
  for (const line of labels) console.log(line);

  if (values['log-requests']) {
    // What a client really sent (scripts/try-agents.sh shows what Claude Code and Codex call).
    let seen = 0;
    setInterval(() => {
      for (; seen < mock.received.length; seen++) {
        const r = mock.received[seen];
        const j = (r.json ?? {}) as { stream?: unknown; tools?: unknown; store?: unknown; model?: unknown };
        const cred = r.headers['x-api-key'] !== undefined ? 'x-api-key' : r.headers.authorization !== undefined ? 'bearer' : 'none';
        const tools = Array.isArray(j.tools) ? ` tools=${j.tools.length}` : '';
        const store = j.store !== undefined ? ` store=${String(j.store)}` : '';
        const beta = typeof r.headers['anthropic-beta'] === 'string' ? ' anthropic-beta' : '';
        console.log(`request: ${r.method} ${r.path} credentials=${r.credentials}(${cred}) model=${String(j.model ?? '-')} stream=${j.stream === true}${tools}${store}${beta}`);
      }
    }, 100).unref();
  }

  if (!values.quiet) {
    let last = 0;
    setInterval(() => {
      if (mock.requestCount !== last) {
        console.log(`requests: ${mock.requestCount} (+${mock.requestCount - last}), aborted streams: ${mock.abortedStreams}`);
        last = mock.requestCount;
      }
    }, 1000).unref();
  }

  const stop = (): void => {
    mock.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
