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
