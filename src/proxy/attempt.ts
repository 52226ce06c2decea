// One upstream try with one key: an undici dispatch handler (no fetch, no stream objects). It knows
// only its narrow options and its caller's callbacks (undici's handler shape): a streamed 200 is
// handed to `onStreamChunk` as it arrives, anything else is collected. It reports exactly one
// Outcome to `onOutcome`, whatever undici calls afterwards.

import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import type { InBandError } from './classify-response';

export type Outcome =
  | { kind: 'ok'; status: number; headers: IncomingHttpHeaders; body: Buffer } // a complete 2xx answer
  | { kind: 'streamed' } // a stream relayed to its end
  | { kind: 'status'; status: number; headers: IncomingHttpHeaders; body: Buffer } // an error status
  | { kind: 'in-band'; error: InBandError; afterData: boolean } // a 200 that carries an error
  | { kind: 'network'; message: string; timeout: boolean; afterData: boolean }; // no (complete) answer

export interface AttemptOptions {
  dispatcher: Dispatcher;
  path: string;
  body: Buffer;
  headers: string[];
  /** The client asked for a stream: a 200 event stream is handed over chunk by chunk. */
  stream: boolean;
  /** Until the first content (a stream) or the whole answer, in ms. */
  firstByteMs: number;
  /** Longest silence between two chunks of a stream, in ms. */
  idleMs: number;
}

export interface AttemptHandler {
  /** A 200 event stream starts. */
  onStreamStart(a: Attempt, headers: IncomingHttpHeaders): void;
  /** One chunk of it: an Outcome ends the try; null goes on. */
  onStreamChunk(a: Attempt, chunk: Buffer): Outcome | null;
  /** The upstream ended the stream: complete, or not. */
  onStreamEnd(a: Attempt): Outcome;
  /** Exactly once per attempt (not after cancel()). */
  onOutcome(a: Attempt, o: Outcome): void;
  /** First byte of the upstream's answer (for the metrics). */
  onFirstByte?(a: Attempt): void;
}

const MAX_BODY = 64 * 1024 * 1024;

export class Attempt implements Dispatcher.DispatchHandler {
  controller: Dispatcher.DispatchController | null = null;
  settled = false;
  /** The answer is a stream handed to the handler. */
  relaying = false;
  /** Content of this try reached the client: it can no longer fail over. */
  content = false;
  readonly startedAt = performance.now();
  private timer: NodeJS.Timeout | null = null;
  private parts: Buffer[] = [];
  private size = 0;
  private status = 0;
  private headers: IncomingHttpHeaders | null = null;

  constructor(
    private readonly opts: AttemptOptions,
    private readonly handler: AttemptHandler,
    readonly keyId: string,
    readonly secret: string,
  ) {}

  start(): void {
    const o = this.opts;
    this.timer = setTimeout(onTimer, o.firstByteMs, this);
    try {
      o.dispatcher.dispatch({
        path: o.path, method: 'POST', body: o.body, headers: o.headers,
        headersTimeout: 0, bodyTimeout: o.stream ? o.idleMs : 0,
      }, this);
    } catch (err) {
      this.settle({ kind: 'network', message: describe(err as Error), timeout: false, afterData: false });
    }
  }

  /** The client left, or the exchange is done with this try: stop it without reporting. */
  cancel(): void {
    this.settled = true;
    this.clearTimer();
    this.controller?.abort(new Error('cancelled by the proxy'));
  }

  /** The first content reached the client: only the idle timeout applies from now on. */
  contentStarted(): void {
    this.content = true;
    this.clearTimer();
  }

  /** A slow client: stop reading upstream until it catches up (undici's idle timer waits too). */
  pause(): void { if (this.controller && !this.controller.paused) this.controller.pause(); }
  resume(): void { this.controller?.resume(); }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.settled) controller.abort(new Error('cancelled by the proxy'));
  }

  onResponseStart(_c: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders): void {
    if (this.settled || status < 200) return;
    this.handler.onFirstByte?.(this);
    if (this.opts.stream && status === 200 && isEventStream(headers)) {
      // OpenRouter answers 200 at once and sends keep-alive comments while the provider has not started:
      // the first-byte timer keeps running until the first content, then only the idle timeout applies.
      this.relaying = true;
      this.handler.onStreamStart(this, headers);
      return;
    }
    this.status = status;
    this.headers = headers;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    if (this.relaying) {
      const o = this.handler.onStreamChunk(this, chunk);
      if (o === null) return;
      this.settle(o);
      if (o.kind !== 'streamed') controller.abort(new Error('upstream answer discarded'));
      return;
    }
    this.size += chunk.length;
    if (this.size > MAX_BODY) {
      this.settle({ kind: 'network', message: 'the upstream answer is larger than 64 MiB', timeout: false, afterData: false });
      controller.abort(new Error('upstream answer too large'));
      return;
    }
    this.parts.push(chunk);
  }

  onResponseEnd(): void {
    if (this.settled) return;
    if (this.relaying) return this.settle(this.handler.onStreamEnd(this));
    const body = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.size);
    this.parts = [];
    const ok = this.status >= 200 && this.status < 300;
    this.settle({ kind: ok ? 'ok' : 'status', status: this.status, headers: this.headers ?? {}, body });
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    if (this.settled) return;
    const code = (err as { code?: string }).code;
    const timeout = code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT';
    const message = code === 'UND_ERR_BODY_TIMEOUT'
      ? `the upstream stream was idle for more than ${this.opts.idleMs / 1000} s`
      : describe(err);
    this.settle({ kind: 'network', message, timeout, afterData: this.content });
  }

  timedOut(): void {
    this.timer = null;
    if (this.settled) return;
    const s = this.opts.firstByteMs / 1000;
    this.settle({
      kind: 'network', timeout: true, afterData: false,
      message: this.opts.stream ? `no answer from the upstream within ${s} s` : `the upstream did not complete the answer within ${s} s`,
    });
    this.controller?.abort(new Error('upstream timeout'));
  }

  private settle(o: Outcome): void {
    if (this.settled) return;
    this.settled = true;
    this.clearTimer();
    this.handler.onOutcome(this, o);
  }

  private clearTimer(): void {
    if (this.timer !== null) { clearTimeout(this.timer); this.timer = null; }
  }
}

function onTimer(a: Attempt): void { a.timedOut(); }

function isEventStream(headers: IncomingHttpHeaders): boolean {
  const ct = headers['content-type'];
  return typeof ct === 'string' && ct.includes('text/event-stream');
}

/** A network error in words, without anything from the request. */
function describe(err: Error): string {
  const code = (err as { code?: string }).code;
  const cause = (err as { cause?: { code?: string } }).cause?.code;
  if (code === 'UND_ERR_SOCKET') return 'the upstream closed the connection';
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return 'connecting to the upstream timed out';
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return 'the upstream did not answer in time';
  const name = code ?? cause ?? err.name;
  return `upstream connection error (${name})`;
}
