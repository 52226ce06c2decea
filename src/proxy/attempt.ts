// One upstream try with one key: an undici dispatch handler (no fetch, no stream objects). A streamed
// 200 is fed to the exchange's SSE relay as it arrives; anything else is collected and handed back.
// It reports exactly one Outcome to its exchange, whatever undici calls afterwards.

import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import type { KeyState } from '../domain/pool-state';
import { Verdict } from './sse-relay';
import type { Exchange } from './failover';

export type Outcome =
  | { kind: 'ok'; status: number; headers: IncomingHttpHeaders; body: Buffer } // a complete 2xx answer
  | { kind: 'streamed' } // a stream relayed to its [DONE]
  | { kind: 'status'; status: number; headers: IncomingHttpHeaders; body: Buffer } // an error status
  | { kind: 'in-band'; message: string; afterData: boolean } // a 200 that carries an error
  | { kind: 'network'; message: string; timeout: boolean; afterData: boolean }; // no (complete) answer

const MAX_BODY = 64 * 1024 * 1024;

export class Attempt implements Dispatcher.DispatchHandler {
  controller: Dispatcher.DispatchController | null = null;
  settled = false;
  relaying = false;
  readonly startedAt = performance.now();
  private timer: NodeJS.Timeout | null = null;
  private parts: Buffer[] = [];
  private size = 0;

  constructor(readonly ex: Exchange, readonly key: KeyState, readonly secret: string) {}

  start(): void {
    const ex = this.ex;
    const rt = ex.ctx.rt;
    this.timer = setTimeout(onTimer, rt.settings.requestTimeoutSeconds * 1000, this);
    try {
      ex.ctx.upstream.pool.dispatch({
        path: ex.path, method: 'POST', body: ex.body, headers: ex.ctx.upstream.jsonHeaders(this.secret),
        headersTimeout: 0, bodyTimeout: ex.stream ? rt.config.streamIdleTimeoutSeconds * 1000 : 0,
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

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.settled) controller.abort(new Error('cancelled by the proxy'));
  }

  onResponseStart(_c: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders): void {
    if (this.settled || status < 200) return;
    const ex = this.ex;
    ex.ctx.metrics.m.upstreamFirstByteSeconds.observe((performance.now() - this.startedAt) / 1000);
    if (ex.relay !== null && status === 200 && isEventStream(headers)) {
      // OpenRouter answers 200 at once and sends keep-alive comments while the provider has not started:
      // the first-byte timer keeps running until the first data line, then only the idle timeout applies.
      this.relaying = true;
      const generation = headers['x-generation-id'];
      ex.relay.beginAttempt(typeof generation === 'string' ? generation : null);
      return;
    }
    this.status = status;
    this.headers = headers;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    const relay = this.ex.relay;
    if (this.relaying && relay !== null) {
      const v = relay.push(chunk);
      if (relay.accepted) { this.clearTimer(); this.ex.trace?.answered(); }
      if (v === Verdict.Go) {
        // [DONE] reached the client: the answer is complete whatever the upstream connection does next.
        if (relay.doneSeen) { relay.finish(); this.settle({ kind: 'streamed' }); return; }
        // A slow client: stop reading upstream until the client catches up (undici's idle timer waits too).
        if (relay.needsDrain && !controller.paused) { controller.pause(); this.ex.awaitDrain(); }
        return;
      }
      this.settle(v === Verdict.LineTooLong
        ? { kind: 'network', message: 'the upstream sent an SSE line longer than 64 MiB', timeout: false, afterData: relay.accepted }
        : { kind: 'in-band', message: relay.errorMessage, afterData: v === Verdict.ErrorRelayed });
      controller.abort(new Error('upstream answer discarded'));
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
    const relay = this.ex.relay;
    if (this.relaying && relay !== null) {
      if (relay.finish()) return this.settle({ kind: 'streamed' });
      return this.settle({
        kind: 'network', timeout: false, afterData: relay.accepted,
        message: relay.accepted ? 'the upstream stream ended without [DONE]' : 'the upstream stream ended before any data',
      });
    }
    const body = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.size);
    this.parts = [];
    const ok = this.status >= 200 && this.status < 300;
    this.settle({ kind: ok ? 'ok' : 'status', status: this.status, headers: this.headers ?? {}, body });
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    if (this.settled) return;
    const code = (err as { code?: string }).code;
    const timeout = code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT';
    const afterData = this.relaying && this.ex.relay !== null && this.ex.relay.accepted;
    const message = code === 'UND_ERR_BODY_TIMEOUT'
      ? `the upstream stream was idle for more than ${this.ex.ctx.rt.config.streamIdleTimeoutSeconds} s`
      : describe(err);
    this.settle({ kind: 'network', message, timeout, afterData });
  }

  timedOut(): void {
    this.timer = null;
    if (this.settled) return;
    const s = this.ex.ctx.rt.settings.requestTimeoutSeconds;
    this.settle({
      kind: 'network', timeout: true, afterData: false,
      message: this.ex.stream ? `no answer from the upstream within ${s} s` : `the upstream did not complete the answer within ${s} s`,
    });
    this.controller?.abort(new Error('upstream timeout'));
  }

  private status = 0;
  private headers: IncomingHttpHeaders | null = null;

  private settle(o: Outcome): void {
    if (this.settled) return;
    this.settled = true;
    this.clearTimer();
    this.ex.settle(this, o);
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
