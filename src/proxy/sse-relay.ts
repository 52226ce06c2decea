// Relays an upstream SSE stream to the client as raw bytes, whole lines at a time, while watching
// for what matters: the first `data:` line (until then a broken upstream may still fail over), an
// in-band error chunk, the usage chunk, and `data: [DONE]` (without it a stream is not complete).

import type { ServerResponse } from 'node:http';
import { inBandError, parseJson } from './classify-response';
import { readUsage, type Usage } from './usage';

const NL = 10;
const CR = 13;
const DATA = Buffer.from('data:');
const ERROR_KEY = Buffer.from('"error"');
const USAGE_KEY = Buffer.from('"usage"');
const DONE = Buffer.from('[DONE]');
const BLANK = Buffer.from('\n');
const MAX_LINE = 64 * 1024 * 1024;

export enum Verdict { Go = 0, FirstDataIsError = 1, ErrorRelayed = 2, LineTooLong = 3 }

const SSE_HEADERS = ['content-type', 'text/event-stream; charset=utf-8', 'cache-control', 'no-cache', 'x-accel-buffering', 'no'];

export interface StreamGauge { inc(): void; dec(): void }

export class SseRelay {
  /** Headers are out: the status can no longer change. */
  committed = false;
  /** A data line reached the client: from now on a failure ends the stream with an error chunk. */
  dataRelayed = false;
  ended = false;
  /** Set when the response needs a 'drain' before more is written. */
  needsDrain = false;
  /** The message of the last in-band error seen. */
  errorMessage = '';

  // The current attempt's view of its stream.
  accepted = false;
  doneSeen = false;
  usage: Usage | null = null;
  private partial: Buffer[] | null = null;
  private partialLength = 0;
  private eventOpen = false; // bytes written since the last blank line
  private generationId: string | null = null;

  constructor(private readonly res: ServerResponse, private readonly gauge: StreamGauge) {}

  /** A new upstream answer; its generation id goes to the client if the stream is not committed yet. */
  beginAttempt(generationId: string | null = null): void {
    this.generationId = generationId;
    this.accepted = false;
    this.doneSeen = false;
    this.usage = null;
    this.partial = null;
    this.partialLength = 0;
  }

  /** One chunk from the upstream; writes what can go to the client and says what happened. */
  push(chunk: Buffer): Verdict {
    let buf = chunk;
    if (this.partial) {
      if (chunk.indexOf(NL) === -1) return this.hold(chunk);
      this.partial.push(chunk);
      buf = Buffer.concat(this.partial, this.partialLength + chunk.length);
      this.partial = null;
      this.partialLength = 0;
    }
    const lastNl = buf.lastIndexOf(NL);
    if (lastNl === -1) return this.hold(buf);
    if (lastNl < buf.length - 1) {
      this.hold(Buffer.from(buf.subarray(lastNl + 1)));
      buf = buf.subarray(0, lastNl + 1);
    }
    if (!this.accepted) {
      const d = firstDataLine(buf);
      if (d === -1) { // comments and blank lines only: they keep the client's connection alive
        this.write(buf);
        return Verdict.Go;
      }
      const err = lineError(buf, d, buf.indexOf(NL, d));
      if (err !== null) {
        this.errorMessage = err.message;
        return Verdict.FirstDataIsError;
      }
      this.accepted = true;
      this.dataRelayed = true;
    }
    return this.relay(buf);
  }

  /** Upstream ended: true when the stream was complete ([DONE] seen). */
  finish(): boolean {
    // An upstream that closes right after `data: [DONE]` without its newline still ended cleanly.
    if (!this.doneSeen && this.accepted && this.partial && Buffer.concat(this.partial).toString().trim() === 'data: [DONE]') {
      this.partial = null;
      this.write(Buffer.from('data: [DONE]\n\n'));
      this.doneSeen = true;
    }
    if (this.doneSeen) this.end();
    return this.doneSeen;
  }

  /** Ends the stream with an OpenAI-style error chunk, so that SDKs raise instead of seeing an end. */
  fail(message: string, type: string, code: string | number): void {
    if (this.ended) return;
    const chunk = `data: ${JSON.stringify({ error: { message, type, code } })}\n\n`;
    this.write(Buffer.from(this.eventOpen ? `\n${chunk}` : chunk));
    this.end();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.committed) {
      this.gauge.dec();
      this.res.end();
    }
  }

  /** The client went away: nothing more is written. */
  abandon(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.committed) this.gauge.dec();
  }

  private relay(buf: Buffer): Verdict {
    if (buf.indexOf(USAGE_KEY) !== -1) {
      const u = readUsage(buf);
      if (u) this.usage = u;
    }
    for (let p = buf.indexOf(ERROR_KEY); p !== -1; p = buf.indexOf(ERROR_KEY, p + 1)) {
      const start = buf.lastIndexOf(NL, p) + 1;
      const end = buf.indexOf(NL, p);
      if (!startsWith(buf, start, DATA)) { p = end; continue; }
      const err = lineError(buf, start, end);
      if (err === null) { p = end; continue; }
      // Relay the upstream's error chunk as it is, close its event, and make sure the client sees an
      // error that SDKs raise (a bare finish_reason "error" does not make the OpenAI SDK throw).
      const through = buf[end + 1] === NL ? end + 2 : end + 1;
      this.write(buf.subarray(0, through));
      if (through === end + 1) this.write(BLANK);
      this.errorMessage = err.message;
      if (!err.topLevel) this.fail(err.message, 'upstream_error', 'upstream_error');
      this.end();
      return Verdict.ErrorRelayed;
    }
    if (!this.doneSeen && isDoneIn(buf)) this.doneSeen = true;
    this.write(buf);
    return Verdict.Go;
  }

  private hold(part: Buffer): Verdict {
    (this.partial ??= []).push(part);
    this.partialLength += part.length;
    return this.partialLength > MAX_LINE ? Verdict.LineTooLong : Verdict.Go;
  }

  private write(buf: Buffer): void {
    if (this.ended) return;
    if (!this.committed) this.commit();
    if (!this.res.write(buf)) this.needsDrain = true;
    const n = buf.length;
    this.eventOpen = !(buf[n - 1] === NL && (n === 1 || buf[n - 2] === NL || (buf[n - 2] === CR && buf[n - 3] === NL)));
  }

  private commit(): void {
    this.committed = true;
    this.gauge.inc();
    this.res.writeHead(200, this.generationId === null ? SSE_HEADERS : [...SSE_HEADERS, 'x-generation-id', this.generationId]);
  }
}

function startsWith(buf: Buffer, at: number, prefix: Buffer): boolean {
  if (at + prefix.length > buf.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[at + i] !== prefix[i]) return false;
  return true;
}

/** Offset of the first line starting with `data:`, or -1. `buf` starts at a line start. */
function firstDataLine(buf: Buffer): number {
  for (let p = buf.indexOf(DATA); p !== -1; p = buf.indexOf(DATA, p + 1)) {
    if (p === 0 || buf[p - 1] === NL) return p;
  }
  return -1;
}

/** A line that is exactly `data: [DONE]`: the same text inside a content chunk is not an end. */
function isDoneIn(buf: Buffer): boolean {
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

/** The in-band error carried by the data line [start, end), or null; `topLevel` when SDKs will raise on it. */
function lineError(buf: Buffer, start: number, end: number): { message: string; topLevel: boolean } | null {
  const e = buf.indexOf(ERROR_KEY, start);
  if (e === -1 || e >= end) return null;
  let from = start + DATA.length;
  if (buf[from] === 32) from++;
  const obj = parseJson(buf.toString('utf8', from, buf[end - 1] === CR ? end - 1 : end));
  const message = inBandError(obj);
  if (message === null) return null;
  return { message, topLevel: Boolean((obj as { error?: unknown }).error) };
}
