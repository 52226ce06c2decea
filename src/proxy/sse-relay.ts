// Relays an upstream SSE stream to the client as raw bytes while watching for what matters: the first
// content (until then a broken upstream may still fail over), an in-band error, the usage, and the
// protocol's end (without it a stream is not complete). Chat is relayed whole lines at a time; typed
// protocols (Messages, Responses) whole events at a time, so that their preamble can be held back and
// upstream artefacts dropped. Every byte written is scrubbed of the attempt's key.

import type { ServerResponse } from 'node:http';
import { matcherFor, type SecretMatcher } from '../upstream/scrub';
import { parseJson } from '../upstream/json';
import { chatInBand, type InBandError } from './classify-response';
import { chatStream } from './protocols/chat';
import type { StreamRules } from './protocols/protocol';
import { MARK_DONE, MARK_ERROR, MARK_USAGE, scanMarks } from './answer-marks';
import { DATA, dataText, eventEnd, firstDataLine, isDoneIn, lastEventEnd, readEvent, startsWith } from './sse-frames';
import { readUsage, type Usage } from './usage';

const NL = 10;
const CR = 13;
const ERROR_KEY = Buffer.from('"error"');
const USAGE_KEY = Buffer.from('"usage"');
const ID_KEY = Buffer.from('"id":"');
const BLANK = Buffer.from('\n');
const MAX_LINE = 64 * 1024 * 1024;

export enum Verdict { Go = 0, FirstDataIsError = 1, ErrorRelayed = 2, LineTooLong = 3 }

/** Where the client's stream is. */
export enum RelayState {
  /** Nothing sent: the status can still change. */
  Idle,
  /** Headers (and perhaps comments) sent; no content yet, so another key may still answer. */
  Open,
  /** Content reached the client: a failure from now on ends the stream with an error event. */
  Flowing,
  /** Ended (complete, failed, or the client left): nothing more is written. */
  Ended,
}

/** Where the current attempt's upstream stream is. */
export enum AttemptStream { Gated, Flowing, Done }

const SSE_HEADERS = ['content-type', 'text/event-stream; charset=utf-8', 'cache-control', 'no-cache', 'x-accel-buffering', 'no'];

export interface StreamGauge { inc(): void; dec(): void }

export class SseRelay {
  state = RelayState.Idle;
  /** Set when the response needs a 'drain' before more is written. */
  needsDrain = false;
  /** The last in-band error seen. */
  error: InBandError | null = null;
  /** When the first byte went to the client (performance.now()), or null. */
  firstByteAt: number | null = null;
  /** When the first content went to the client, or null. */
  contentAt: number | null = null;

  // The current attempt's view of its stream.
  attempt = AttemptStream.Gated;
  usage: Usage | null = null;
  generationId: string | null = null;
  private partial: Buffer[] | null = null;
  private partialLength = 0;
  private held: Buffer[] = []; // typed preamble events waiting for the first content event
  private eventOpen = false; // bytes written since the last blank line
  private matcher: SecretMatcher | null = null;

  constructor(private readonly res: ServerResponse, private readonly gauge: StreamGauge, readonly rules: StreamRules = chatStream) {}

  get committed(): boolean { return this.state !== RelayState.Idle; }
  /** Content reached the client (from then on a failure ends the stream with an error event). */
  get dataRelayed(): boolean { return this.contentAt !== null; }
  get ended(): boolean { return this.state === RelayState.Ended; }
  get accepted(): boolean { return this.attempt !== AttemptStream.Gated; }
  get doneSeen(): boolean { return this.attempt === AttemptStream.Done; }
  get errorMessage(): string { return this.error?.message ?? ''; }

  /** A new upstream answer: its key (scrubbed from every byte) and generation id (for the headers). */
  beginAttempt(generationId: string | null = null, secret?: string): void {
    this.generationId = generationId;
    this.matcher = secret === undefined ? null : matcherFor(secret);
    this.attempt = AttemptStream.Gated;
    this.usage = null;
    this.partial = null;
    this.partialLength = 0;
    this.held = [];
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
    const lines = this.rules.framing === 'lines';
    const cut = lines ? (buf[buf.length - 1] === NL ? buf.length : buf.lastIndexOf(NL) + 1) : lastEventEnd(buf);
    if (cut === 0) return this.hold(buf);
    if (cut < buf.length) {
      this.hold(Buffer.from(buf.subarray(cut)));
      buf = buf.subarray(0, cut);
    }
    return lines ? this.pushLines(buf) : this.pushEvents(buf);
  }

  /** Upstream ended: true when the stream was complete. */
  finish(): boolean {
    // A typed stream whose last event lacks its blank line (the upstream closed right after it) is whole.
    if (!this.doneSeen && this.accepted && this.partial && this.rules.framing === 'events') {
      const rest = Buffer.concat(this.partial);
      this.partial = null;
      this.pushEvents(Buffer.concat([rest, Buffer.from('\n\n')]));
    }
    // An upstream that closes right after `data: [DONE]` without its newline still ended cleanly.
    if (!this.doneSeen && this.accepted && this.partial && Buffer.concat(this.partial).toString().trim() === 'data: [DONE]') {
      this.partial = null;
      if (this.rules.framing === 'lines') this.write(Buffer.from('data: [DONE]\n\n'));
      this.attempt = AttemptStream.Done;
    }
    if (this.doneSeen) {
      if (this.rules.trailer !== '') this.write(Buffer.from(this.rules.trailer));
      this.end();
    }
    return this.doneSeen;
  }

  /** Ends the stream with the protocol's error event, so that SDKs raise instead of seeing an end. */
  fail(message: string, type: string, code: string | number): void {
    if (this.ended) return;
    const chunk = this.rules.failEvent(message, type, code);
    this.write(Buffer.from(this.eventOpen ? `\n${chunk}` : chunk));
    this.end();
  }

  end(): void {
    if (this.ended) return;
    const was = this.state;
    this.state = RelayState.Ended;
    if (was !== RelayState.Idle) {
      this.gauge.dec();
      this.res.end();
    }
  }

  /** The client went away: nothing more is written. */
  abandon(): void {
    if (this.ended) return;
    const was = this.state;
    this.state = RelayState.Ended;
    if (was !== RelayState.Idle) this.gauge.dec();
  }

  // ------------------------------------------------------------------ chat: whole lines

  private pushLines(buf: Buffer): Verdict {
    if (!this.accepted) {
      const d = firstDataLine(buf);
      if (d === -1) { // comments and blank lines only: they keep the client's connection alive
        this.write(buf);
        return Verdict.Go;
      }
      const err = lineError(buf, d, buf.indexOf(NL, d));
      if (err !== null) {
        this.error = err;
        return Verdict.FirstDataIsError;
      }
      this.accept(buf);
    }
    return this.relayLines(buf);
  }

  private relayLines(buf: Buffer): Verdict {
    const marks = scanMarks(buf);
    if (marks & MARK_USAGE) {
      const u = readUsage(buf);
      if (u) this.usage = u;
    }
    for (let p = marks & MARK_ERROR ? buf.indexOf(ERROR_KEY) : -1; p !== -1; p = buf.indexOf(ERROR_KEY, p + 1)) {
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
      this.error = err;
      if (!err.topLevel) this.fail(err.message, 'upstream_error', 'upstream_error');
      this.end();
      return Verdict.ErrorRelayed;
    }
    if (!this.doneSeen && marks & MARK_DONE && isDoneIn(buf)) this.attempt = AttemptStream.Done;
    this.write(buf);
    return Verdict.Go;
  }

  // ------------------------------------------------------------------ typed: whole events

  private pushEvents(buf: Buffer): Verdict {
    const out: Buffer[] = [];
    let at = 0;
    while (at < buf.length) {
      const end = eventEnd(buf, at);
      const block = buf.subarray(at, end);
      at = end;
      const ev = readEvent(block);
      if (ev.kind === 'blank' || ev.kind === 'comment') { (!this.accepted && this.held.length > 0 ? this.held : out).push(block); continue; }
      if (ev.kind === 'done' || this.doneSeen) continue; // OpenRouter's [DONE] (and anything after the end) is dropped
      if (this.rules.errors.has(ev.type)) {
        const err = this.eventError(block, ev.dataAt);
        if (err !== null) {
          this.error = err;
          if (!this.accepted) { this.flush(out); return Verdict.FirstDataIsError; }
          out.push(this.rules.relayError(block, ev.type, err));
          this.flush(out);
          this.end();
          return Verdict.ErrorRelayed;
        }
      }
      if (block.indexOf(USAGE_KEY) !== -1) {
        const u = readUsage(block);
        if (u) this.usage = u;
      }
      if (!this.accepted) {
        if (this.rules.preamble.has(ev.type)) { this.held.push(block); continue; }
        const first = this.held.length > 0 ? Buffer.concat(this.held) : null;
        this.held = [];
        this.accept(first ?? block);
        if (first) out.push(first);
      }
      out.push(block);
      if (this.rules.done.has(ev.type)) this.attempt = AttemptStream.Done;
    }
    this.flush(out);
    return Verdict.Go;
  }

  private eventError(block: Buffer, dataAt: number): (InBandError & { topLevel: boolean }) | null {
    if (dataAt === -1) return null;
    const obj = parseJson(dataText(block, dataAt));
    if (obj === undefined) return { message: 'the upstream sent an error event', status: null, raw: null, topLevel: true };
    const e = this.rules.inBand(obj);
    return e === null ? { message: 'the upstream sent an error event', status: null, raw: obj, topLevel: true } : { ...e, topLevel: true };
  }

  private flush(out: Buffer[]): void {
    if (out.length === 0) return;
    this.write(out.length === 1 ? out[0] : Buffer.concat(out));
  }

  // ------------------------------------------------------------------ shared

  private accept(first: Buffer): void {
    this.attempt = AttemptStream.Flowing;
    if (this.generationId === null) this.generationId = idIn(first);
    if (this.state === RelayState.Idle) this.commit();
    if (this.state === RelayState.Open) {
      this.state = RelayState.Flowing;
      this.contentAt = performance.now();
    }
  }

  private hold(part: Buffer): Verdict {
    (this.partial ??= []).push(part);
    this.partialLength += part.length;
    return this.partialLength > MAX_LINE ? Verdict.LineTooLong : Verdict.Go;
  }

  private write(buf: Buffer): void {
    if (this.ended) return;
    if (this.state === RelayState.Idle) this.commit();
    const m = this.matcher;
    const out = m !== null && m.foundIn(buf) ? Buffer.from(m.redact(buf.toString('utf8'))) : buf;
    if (!this.res.write(out)) this.needsDrain = true;
    const n = out.length;
    this.eventOpen = !(out[n - 1] === NL && (n === 1 || out[n - 2] === NL || (out[n - 2] === CR && out[n - 3] === NL)));
  }

  private commit(): void {
    this.state = RelayState.Open;
    this.firstByteAt = performance.now();
    this.gauge.inc();
    this.res.writeHead(200, this.generationId === null ? SSE_HEADERS : [...SSE_HEADERS, 'x-generation-id', this.generationId]);
  }
}

/** The in-band error carried by the data line [start, end), or null; `topLevel` when SDKs will raise on it. */
function lineError(buf: Buffer, start: number, end: number): (InBandError & { topLevel: boolean }) | null {
  const e = buf.indexOf(ERROR_KEY, start);
  if (e === -1 || e >= end) return null;
  let from = start + DATA.length;
  if (buf[from] === 32) from++;
  const obj = parseJson(buf.toString('utf8', from, buf[end - 1] === CR ? end - 1 : end));
  const err = chatInBand(obj);
  if (err === null) return null;
  return { ...err, topLevel: Boolean((obj as { error?: unknown }).error) };
}

/** The first `"id":"…"` value in `buf` (the generation id of chat chunks, message_start, response.created). */
function idIn(buf: Buffer): string | null {
  const p = buf.indexOf(ID_KEY);
  if (p === -1) return null;
  const from = p + ID_KEY.length;
  const q = buf.indexOf(34, from);
  if (q === -1 || q - from > 200) return null;
  const id = buf.toString('latin1', from, q);
  return /^[\w.-]+$/.test(id) ? id : null;
}
