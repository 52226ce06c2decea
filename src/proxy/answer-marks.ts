// What the proxy looks for in every answer it relays, chunk by chunk or whole: the usage, an in-band
// error, the end of a chat stream. One look finds all three; the relay and the failover loop look
// closer only where a mark is.

/** What `scanMarks` found: where a mark is, the caller looks closer; where not, it does nothing. */
export const MARK_USAGE = 1; // "usage"
export const MARK_ERROR = 2; // "error"
export const MARK_DONE = 4; // [DONE]

/**
 * Searching for each with Buffer#indexOf was three calls into C++ per chunk (with the key's four
 * windows, ~5 % of the proxy's busy time under SSE load, BENCHMARKS.md run I); this stays in optimised
 * JavaScript, and a Horspool skip over the three markers reads about one byte in four of ordinary JSON.
 */
export function scanMarks(buf: Buffer): number {
  let marks = 0;
  const n = buf.length;
  for (let i = 0; i + 6 <= n; i += SKIP[buf[i + 5]]) marks |= markAt(buf, i, n);
  return marks;
}

/** How far the window may move on when its last (6th) byte is this one: no marker starts in between. */
const SKIP = new Uint8Array(256).fill(6);
for (const p of ['"usage', '"error', '[DONE']) for (let j = 0; j < 5; j++) SKIP[p.charCodeAt(j)] = Math.min(SKIP[p.charCodeAt(j)], 5 - j);

/** The marker starting at `i`, or 0. */
function markAt(buf: Buffer, i: number, n: number): number {
  const c = buf[i];
  if (c === 34) { // "
    if (i + 7 > n) return 0;
    const d = buf[i + 1];
    if (d === 117) return buf[i + 2] === 115 && buf[i + 3] === 97 && buf[i + 4] === 103 && buf[i + 5] === 101 && buf[i + 6] === 34 ? MARK_USAGE : 0;
    if (d === 101) return buf[i + 2] === 114 && buf[i + 3] === 114 && buf[i + 4] === 111 && buf[i + 5] === 114 && buf[i + 6] === 34 ? MARK_ERROR : 0;
    return 0;
  }
  if (c === 91) { // [
    return i + 6 <= n && buf[i + 1] === 68 && buf[i + 2] === 79 && buf[i + 3] === 78 && buf[i + 4] === 69 && buf[i + 5] === 93 ? MARK_DONE : 0;
  }
  return 0;
}
