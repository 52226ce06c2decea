// Streaming measurements: time to the first `data:` chunk of a chat stream, and many streams held
// open at once. The client is an undici Pool with one connection per stream (HTTP/1.1, no pipelining).

import { Pool } from 'undici';

export interface StreamTarget { origin: string; path: string; headers: Record<string, string> }

export const STREAM_BODY = JSON.stringify({ model: 'openai/gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Hello' }] });

export interface StreamTiming { headersMs: number; firstDataMs: number; complete: boolean }

/** An open stream: its timings so far and a way to end it. */
export interface OpenStream { timing: Promise<StreamTiming>; firstData: Promise<number>; abort(): void; readonly done: boolean }

const DATA = Buffer.from('data:');

/** Starts one stream; `firstData` resolves with ms to the first `data:` bytes, `timing` when it ends. */
export function openStream(pool: Pool, t: StreamTarget, timeoutMs: number): OpenStream {
  const ac = new AbortController();
  const started = performance.now();
  let resolveFirst!: (ms: number) => void;
  let rejectFirst!: (e: Error) => void;
  const firstData = new Promise<number>((res, rej) => { resolveFirst = res; rejectFirst = rej; });
  firstData.catch(() => undefined);
  const timer = setTimeout(() => ac.abort(new Error(`stream not finished within ${timeoutMs} ms`)), timeoutMs);
  let done = false;
  const timing = (async (): Promise<StreamTiming> => {
    let first = -1;
    let tail = '';
    try {
      const r = await pool.request({ method: 'POST', path: t.path, headers: { 'content-type': 'application/json', ...t.headers }, body: STREAM_BODY, signal: ac.signal });
      const headersMs = performance.now() - started;
      if (r.statusCode !== 200) throw new Error(`stream answered ${r.statusCode}: ${(await r.body.text()).slice(0, 200)}`);
      for await (const chunk of r.body as AsyncIterable<Buffer>) {
        if (first < 0 && chunk.includes(DATA)) { first = performance.now() - started; resolveFirst(first); }
        tail = (tail + chunk.toString('latin1')).slice(-64);
      }
      return { headersMs, firstDataMs: first, complete: tail.includes('[DONE]') };
    } catch (err) {
      rejectFirst(err as Error);
      if (ac.signal.aborted && first >= 0) return { headersMs: -1, firstDataMs: first, complete: false };
      throw err;
    } finally { clearTimeout(timer); done = true; }
  })();
  timing.catch(() => undefined);
  return { timing, firstData, abort: () => ac.abort(), get done() { return done; } };
}

/** Time to first data chunk, one stream at a time (no queueing): the per-request cost. */
export async function sequentialFirstData(t: StreamTarget, count: number): Promise<number[]> {
  const pool = new Pool(t.origin, { connections: 1, pipelining: 1 });
  try {
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      const s = openStream(pool, t, 10_000);
      const r = await s.timing;
      if (!r.complete) throw new Error('a stream ended without [DONE]');
      out.push(r.firstDataMs);
    }
    return out;
  } finally { await pool.close(); }
}

/** Opens `count` streams at `perSecond`, waits until every one has sent its first data chunk. */
export async function openMany(t: StreamTarget, count: number, perSecond: number, timeoutMs: number): Promise<{ streams: OpenStream[]; firstData: number[]; pool: Pool }> {
  const pool = new Pool(t.origin, { connections: count + 10, pipelining: 1, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const streams: OpenStream[] = [];
  const gap = 1000 / perSecond;
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    streams.push(openStream(pool, t, timeoutMs));
    const due = started + (i + 1) * gap; // a steady rate, not a burst: first-chunk times are not queueing times
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  }
  const firstData = await Promise.all(streams.map((s) => s.firstData));
  return { streams, firstData, pool };
}
