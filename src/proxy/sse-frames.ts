// SSE framing, byte level: where lines and events end, which line is data, what type an event has.
// Pure functions over Buffers; the relay (sse-relay.ts) decides what to do with them.

import { parseJson } from '../upstream/json';

const NL = 10;
const CR = 13;
export const DATA = Buffer.from('data:');
const DONE = Buffer.from('[DONE]');
const EVENT = Buffer.from('event:');
const TYPE_PREFIX = Buffer.from('{"type":"');

export function startsWith(buf: Buffer, at: number, prefix: Buffer): boolean {
  if (at + prefix.length > buf.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[at + i] !== prefix[i]) return false;
  return true;
}

/** What `scanMarks` found in a chunk: where it is, the relay looks closer; where not, it does nothing. */
export const MARK_USAGE = 1; // "usage"
export const MARK_ERROR = 2; // "error"
export const MARK_DONE = 4; // [DONE]
export const MARK_HEX_RUN = 8; // 16 or more of [0-9a-f] in a row: where a hex key's echo would be

/**
 * Looks at a chunk for everything the relay looks for in every chunk. Searching for each with
 * Buffer#indexOf was four to eight calls into C++ per chunk (~5 % of the proxy's busy time under SSE
 * load, BENCHMARKS.md run I); this stays in optimised JavaScript and skips: a Horspool skip over the
 * three markers reads about one byte in four of ordinary JSON, and `hexRuns` (only worth it when the
 * attempt's key is hex, as OpenRouter's are) probes every 16th byte for a run of 16.
 */
export function scanMarks(buf: Buffer, hexRuns: boolean): number {
  return markers(buf) | (hexRuns && hasHexRun(buf) ? MARK_HEX_RUN : 0);
}

/** How far the window may move on when its last (6th) byte is this one: no marker starts in between. */
const SKIP = new Uint8Array(256).fill(6);
for (const p of ['"usage', '"error', '[DONE']) for (let j = 0; j < 5; j++) SKIP[p.charCodeAt(j)] = Math.min(SKIP[p.charCodeAt(j)], 5 - j);

function markers(buf: Buffer): number {
  let marks = 0;
  const n = buf.length;
  for (let i = 0; i + 6 <= n; i += SKIP[buf[i + 5]]) marks |= markAt(buf, i, n);
  return marks;
}

const isHex = (c: number) => (c >= 48 && c <= 57) || (c >= 97 && c <= 102);

/** 16 or more of [0-9a-f] in a row. Any such run holds one of the probed bytes, 16 apart. */
function hasHexRun(buf: Buffer): boolean {
  const n = buf.length;
  for (let i = 15; i < n;) {
    if (!isHex(buf[i])) { i += 16; continue; }
    let start = i;
    while (start > 0 && i - start < 15 && isHex(buf[start - 1])) start--;
    let end = i;
    while (end + 1 < n && end - start < 15 && isHex(buf[end + 1])) end++;
    if (end - start + 1 >= 16) return true;
    i = end + 16; // a run past this one starts at end + 2 or later, so it holds end + 16
  }
  return false;
}

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

/** Offset of the first line starting with `data:`, or -1. `buf` starts at a line start. */
export function firstDataLine(buf: Buffer): number {
  for (let p = buf.indexOf(DATA); p !== -1; p = buf.indexOf(DATA, p + 1)) {
    if (p === 0 || buf[p - 1] === NL) return p;
  }
  return -1;
}

/** A line that is exactly `data: [DONE]`: the same text inside a content chunk is not an end. */
export function isDoneIn(buf: Buffer): boolean {
  for (let p = buf.indexOf(DONE); p !== -1; p = buf.indexOf(DONE, p + 1)) {
    const start = buf.lastIndexOf(NL, p) + 1;
    if (!startsWith(buf, start, DATA)) continue;
    let from = start + DATA.length;
    if (buf[from] === 32) from++;
    let end = p + DONE.length;
    if (buf[end] === CR) end++;
    if (from === p && (end === buf.length || buf[end] === NL)) return true;
  }
  return false;
}

/** End offset of the last complete event in `buf` (after its blank line), or 0. */
export function lastEventEnd(buf: Buffer): number {
  for (let p = buf.lastIndexOf(NL); p > 0; p = buf.lastIndexOf(NL, p - 1)) {
    if (buf[p - 1] === NL) return p + 1;
    if (buf[p - 1] === CR && p >= 2 && buf[p - 2] === NL) return p + 1;
  }
  return 0;
}

/** End of the event starting at `at` (after its blank line); a lone blank line is an event of its own. */
export function eventEnd(buf: Buffer, at: number): number {
  let p = at;
  for (;;) {
    const nl = buf.indexOf(NL, p);
    if (nl === -1) return buf.length;
    const lineLen = nl - p - (buf[nl - 1] === CR && nl > p ? 1 : 0);
    if (lineLen === 0) return nl + 1;
    p = nl + 1;
  }
}

export type EventInfo =
  | { kind: 'blank' }
  | { kind: 'comment' }
  | { kind: 'done' }
  | { kind: 'event'; type: string; dataAt: number };

/** What one event block is: its `event:` name, or else its data's `type`. */
export function readEvent(block: Buffer): EventInfo {
  let name: string | null = null;
  let dataAt = -1;
  let any = false;
  for (let p = 0; p < block.length;) {
    const nl = block.indexOf(NL, p);
    const end = nl === -1 ? block.length : nl;
    const lineEnd = block[end - 1] === CR ? end - 1 : end;
    if (lineEnd > p && block[p] !== 58 /* : */) {
      any = true;
      if (startsWith(block, p, DATA)) { if (dataAt === -1) dataAt = p; }
      else if (startsWith(block, p, EVENT)) name = block.toString('utf8', p + EVENT.length, lineEnd).trim();
    }
    p = end + 1;
  }
  if (!any) return block.length > 0 && block[0] === 58 ? { kind: 'comment' } : { kind: 'blank' };
  if (dataAt !== -1 && dataText(block, dataAt) === '[DONE]') return { kind: 'done' };
  if (name !== null && name !== '' && name !== 'message') return { kind: 'event', type: name, dataAt };
  return { kind: 'event', type: dataAt === -1 ? '' : dataType(block, dataAt), dataAt };
}

/** The text of the data line at `at` (without `data:`, one optional space and the line end). */
export function dataText(block: Buffer, at: number): string {
  let from = at + DATA.length;
  if (block[from] === 32) from++;
  let end = block.indexOf(NL, from);
  if (end === -1) end = block.length;
  if (block[end - 1] === CR) end--;
  return block.toString('utf8', from, end);
}

/** The `type` of a data line's JSON: read straight when it comes first, else parsed. */
function dataType(block: Buffer, at: number): string {
  let from = at + DATA.length;
  if (block[from] === 32) from++;
  if (startsWith(block, from, TYPE_PREFIX)) {
    const s = from + TYPE_PREFIX.length;
    const q = block.indexOf(34, s);
    if (q !== -1 && q - s < 100) return block.toString('latin1', s, q);
  }
  const obj = parseJson(dataText(block, at)) as { type?: unknown } | undefined;
  return typeof obj?.type === 'string' ? obj.type : '';
}
