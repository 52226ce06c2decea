// One client request served from the key pool: pick a key, try it, classify what came back, apply
// the failure policy, and move on to another key until one answers or the tries run out. Streams
// fail over only until their first data line reached the client (DESIGN.md "Streams").

import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import { classify, failureEvents, floorUntil, type UpstreamFailure } from '../domain/failure-policy';
import type { FailureClass } from '../events/types';
import { ERRORS, errorBody, type ErrorCode } from '../http/errors';
import type { Runtime } from '../runtime';
import { Attempt, type Outcome } from './attempt';
import { failureFromNetwork, failureFromResponse, failureInBand, inBandError, parseJson } from './classify-response';
import type { ProxyMetrics } from './proxy-metrics';
import { scrub, shortReason } from './scrub';
import { SseRelay } from './sse-relay';
import type { Upstream } from './upstream-pool';
import { readUsage, type Usage } from './usage';
import type { RequestOutcome, RequestSummary, RequestTrace } from '../request-log/trace';

/** What every exchange of one app shares. */
export interface ProxyContext {
  rt: Runtime; upstream: Upstream; metrics: ProxyMetrics;
  /** Requests being served, so a shutdown can end them properly once its grace period is over. */
  inflight: Set<Exchange>;
  /** Called once per client request with what it did, however it ended (the request log). */
  onRequestDone?: (summary: RequestSummary) => void;
}

const kExchange = Symbol('orp.exchange');
type Res = ServerResponse & { [kExchange]?: Exchange };
const ERROR_KEY = Buffer.from('"error"');

interface LastFailure { cls: FailureClass; failure: UpstreamFailure; timeout: boolean }

export class Exchange {
  readonly relay: SseRelay | null;
  private readonly res: Res;
  private readonly tried: string[] = [];
  private attempt: Attempt | null = null;
  private attempts = 0;
  private last: LastFailure | null = null;
  private done = false;
  /** Set by the route: what this request did, for the request log (reported when the response closes). */
  trace: RequestTrace | null = null;
  private endedAs: RequestOutcome | null = null;

  constructor(
    readonly ctx: ProxyContext,
    private readonly reply: FastifyReply,
    readonly path: string,
    readonly body: Buffer,
    readonly stream: boolean,
  ) {
    this.res = reply.raw as Res;
    this.relay = stream ? new SseRelay(reply.raw, ctx.metrics.m.streamsInFlight) : null;
  }

  start(): void {
    this.ctx.inflight.add(this);
    this.res[kExchange] = this;
    this.res.on('close', onResClose);
    if (this.stream) this.reply.hijack(); // the relay writes the raw response
    this.next();
  }

  /** Reported once by each attempt. */
  settle(a: Attempt, o: Outcome): void {
    if (a !== this.attempt || this.done) return;
    this.attempt = null;
    switch (o.kind) {
      case 'ok': {
        if (o.body.indexOf(ERROR_KEY) !== -1) {
          const message = inBandError(parseJson(o.body));
          if (message !== null) return this.failed(a, failureInBand(message, a.secret), 'transient', false, false);
        }
        this.used(a, readUsage(o.body));
        // Comments from an earlier try already opened an event stream: a JSON answer cannot follow.
        if (this.relay?.committed) return this.endStream('the upstream answered a stream request with a non-stream answer', 'upstream_error', 'upstream_error');
        return this.sendUpstream(o.status, o.headers['content-type'], o.headers['x-generation-id'], o.body, a.secret);
      }
      case 'streamed':
        this.used(a, this.relay?.usage ?? null);
        this.finish();
        return;
      case 'status': {
        const f = failureFromResponse(o.status, o.headers, o.body, a.secret, this.ctx.rt.projection.now());
        const cls = classify(f);
        if (cls !== 'caller') return this.failed(a, f, cls, false, false);
        this.ctx.metrics.attempts.caller.inc();
        this.trace?.tried(a.key.id, 'caller');
        if (this.relay?.committed) return this.endStream(f.message, 'invalid_request_error', o.status);
        return this.sendUpstream(o.status, o.headers['content-type'], undefined, o.body, a.secret);
      }
      case 'in-band':
        return this.failed(a, failureInBand(o.message, a.secret), 'transient', o.afterData, false);
      case 'network':
        return this.failed(a, failureFromNetwork(o.message), 'transient', o.afterData, o.timeout);
    }
  }

  awaitDrain(): void { this.res.once('drain', onResDrain); }

  private next(): void {
    const { rt, metrics } = this.ctx;
    const max = 1 + rt.settings.retryWithNewKeyCount;
    while (this.attempts < max) {
      const t0 = performance.now();
      const key = rt.projection.pick(this.tried);
      metrics.m.pickSeconds.observe((performance.now() - t0) / 1000);
      if (key === null) break;
      this.tried.push(key.id);
      const secret = rt.secrets.get(key.id);
      if (secret === undefined) continue; // added on another replica a moment ago: its secret is on the way
      if (this.attempts > 0) metrics.m.failovers.inc();
      this.attempts++;
      this.attempt = new Attempt(this, key, secret);
      this.attempt.start();
      return;
    }
    this.giveUp();
  }

  private failed(a: Attempt, f: UpstreamFailure, cls: FailureClass, afterData: boolean, timeout: boolean): void {
    const { rt, metrics } = this.ctx;
    metrics.attempts[cls].inc();
    const key = rt.projection.state.keys[a.key.id];
    const reason = shortReason(f.status === null ? f.message : `${f.status} ${f.message}`, [a.secret]);
    if (key) {
      for (const e of failureEvents(key, cls, f, reason, rt.settings.policy(), rt.projection.now())) rt.projection.record(e);
    }
    const logged = { key_id: a.key.id, class: cls, status: f.status, reason, attempt: this.attempts };
    if (cls === 'transient') rt.log.debug(logged, 'upstream attempt failed');
    else rt.log.info(logged, 'upstream attempt failed; key penalised');
    this.last = { cls, failure: f, timeout };
    this.trace?.tried(a.key.id, cls);
    if (afterData) {
      // The client already has part of an answer: another key's answer must not be appended to it.
      this.endStream(`the upstream failed mid-stream: ${f.message}`, 'upstream_error', timeout ? 'upstream_timeout' : 'upstream_error');
      return;
    }
    this.next();
  }

  private used(a: Attempt, u: Usage | null): void {
    const { rt, metrics } = this.ctx;
    metrics.attempts.success.inc();
    this.trace?.tried(a.key.id, 'ok');
    this.trace?.used(u);
    metrics.m.upstreamTotalSeconds.observe((performance.now() - a.startedAt) / 1000);
    const now = rt.projection.now();
    rt.projection.record({
      type: 'KeyUsed', at: now, key_id: a.key.id, actor: 'proxy',
      data: {
        count: 1, prompt_tokens: u?.prompt_tokens ?? 0, completion_tokens: u?.completion_tokens ?? 0,
        total_tokens: u?.total_tokens ?? 0, last_used_at: now,
      },
    });
  }

  /** Every try failed, or no key could be tried: one clear error naming the last upstream class. */
  private giveUp(): void {
    const last = this.last;
    const n = this.attempts;
    const tries = `${n} key${n === 1 ? '' : 's'} tried`;
    if (last === null) {
      return this.sendFailure('no_available_keys', 'no upstream API key is available right now: every key is inactive or cooling down; try again later or add keys in the admin dashboard');
    }
    const detail = `last upstream error: ${last.failure.message}`;
    switch (last.cls) {
      case 'rate_limit':
      case 'quota': {
        const now = this.ctx.rt.projection.now();
        const floor = floorUntil(last.failure, now);
        const retryAfter = floor > now ? Math.ceil((floor - now) / 1000) : null;
        return this.sendFailure('rate_limited', `the upstream rate-limited the request (${tries}); ${detail}`, retryAfter);
      }
      case 'credential':
        return this.sendFailure('upstream_error', `the upstream rejected the API key (${tries}); ${detail}`);
      default:
        if (last.timeout) return this.sendFailure('upstream_timeout', `the upstream did not answer in time (${tries}); ${detail}`);
        return this.sendFailure('upstream_error', `the upstream failed (${tries}); ${detail}`);
    }
  }

  private sendFailure(code: ErrorCode, message: string, retryAfter: number | null = null): void {
    if (this.relay?.committed) return this.endStream(message, ERRORS[code].type, code);
    this.finish();
    const r = this.reply;
    if (retryAfter !== null) r.header('retry-after', String(retryAfter));
    if (this.stream) { // hijacked: write the plain JSON error ourselves
      const body = JSON.stringify(errorBody(code, message));
      const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)) };
      if (retryAfter !== null) headers['retry-after'] = String(retryAfter);
      this.res.writeHead(ERRORS[code].status, headers);
      this.res.end(body);
      return;
    }
    r.code(ERRORS[code].status).type('application/json; charset=utf-8').send(errorBody(code, message));
  }

  /** The upstream's own answer, as it came (minus any echoed secret). */
  private sendUpstream(status: number, contentType: string | string[] | undefined, generationId: string | string[] | undefined, body: Buffer, secret: string): void {
    this.finish();
    this.trace?.answered();
    const out = body.indexOf(secret) === -1 ? body : Buffer.from(scrub(body.toString('utf8'), [secret]));
    const ct = typeof contentType === 'string' ? contentType : 'application/json';
    if (this.stream) {
      const headers: Record<string, string> = { 'content-type': ct, 'content-length': String(out.length) };
      if (typeof generationId === 'string') headers['x-generation-id'] = generationId;
      this.res.writeHead(status, headers);
      this.res.end(out);
      return;
    }
    const r = this.reply.code(status).type(ct);
    if (typeof generationId === 'string') r.header('x-generation-id', generationId);
    r.send(out);
  }

  private endStream(message: string, type: string, code: string | number): void {
    this.finish();
    this.relay?.fail(message, type, code);
  }

  /** The client went away before the answer was complete. */
  clientClosed(): void {
    if (this.done) return;
    this.finish();
    this.endedAs = 'client_abort';
    const a = this.attempt;
    this.attempt = null;
    this.relay?.abandon();
    if (!a) return;
    this.trace?.tried(a.key.id, 'client_abort');
    a.cancel(); // aborts the upstream request at once: nobody pays for tokens nobody reads
    this.ctx.metrics.attempts.aborted.inc();
    // Not the key's fault. A stream that was flowing did use the key, so it counts as a use.
    if (a.relaying && this.relay?.accepted) this.used(a, this.relay.usage);
  }

  /**
   * Shutdown grace is over: stop the upstream and end the answer with an error (a stream cut by the
   * process exit would look complete to SDKs).
   */
  shutdown(): void {
    if (this.done) return;
    this.endedAs = 'transient'; // not the upstream's doing, but like an outage: worth a retry elsewhere
    const a = this.attempt;
    this.attempt = null;
    a?.cancel();
    if (a?.relaying && this.relay?.accepted) this.used(a, this.relay.usage);
    if (!this.relay?.committed) this.reply.header('connection', 'close');
    this.sendFailure('not_ready', 'the proxy is shutting down; retry the request');
    if (this.relay?.committed) this.res.socket?.end(); // after the error chunk: the server is closing
  }

  private finish(): void {
    this.done = true;
    this.ctx.inflight.delete(this);
  }

  /** The response is over (sent, failed or abandoned): its one request-log summary. */
  closed(): void {
    const t = this.trace;
    this.trace = null;
    if (!t || !this.ctx.onRequestDone) return;
    const tried = t.keys.at(-1);
    const outcome = this.endedAs ?? tried?.outcome ?? this.last?.cls ?? 'no_key';
    const status = this.endedAs === 'client_abort' && !this.res.headersSent ? 499 : this.res.statusCode; // 499: nginx's "client closed"
    this.ctx.onRequestDone(t.end(status, outcome));
  }

  resumeUpstream(): void {
    if (this.relay) this.relay.needsDrain = false;
    this.attempt?.controller?.resume();
  }
}

function onResClose(this: Res): void {
  const ex = this[kExchange];
  if (ex && !this.writableFinished) ex.clientClosed();
  ex?.closed();
}

function onResDrain(this: Res): void {
  this[kExchange]?.resumeUpstream();
}
