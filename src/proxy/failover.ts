// One client request served from the key pool, for any protocol: pick a key, try it, classify what
// came back (status, in-band error, network error, error event mid-stream: one path to `classify`),
// apply the failure policy, and move on to another key until one answers or the tries run out.
// Streams fail over only until their first content reached the client (DESIGN.md "Streams").

import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import { decideUse } from '../domain/decide-key';
import { classify, decideFailure, floorUntil, type UpstreamFailure } from '../domain/failure-policy';
import type { FailureClass } from '../events/types';
import { ERRORS, type ErrorCode } from '../http/errors';
import type { Runtime } from '../runtime';
import { parseJson } from '../upstream/json';
import type { Upstream } from '../upstream/pool';
import { scrubBytes, shortReason } from '../upstream/scrub';
import { MARK_ERROR, MARK_USAGE, scanMarks } from './answer-marks';
import { Attempt, AttemptPhase, type AttemptHandler, type Outcome } from './attempt';
import { failureFromNetwork, failureFromResponse, failureInBand } from './classify-response';
import type { GenerationMemory } from './generation-memory';
import type { Protocol } from './protocols/protocol';
import { cancelWait, earliestKey, retryAfterSeconds, waitForKey, type KeyWait } from './key-wait';
import type { AttemptClass, ProxyMetrics } from './proxy-metrics';
import { usageFields, type AttemptSummary, type RequestDoneHook, type RequestOutcome, type RequestSummary } from './request-summary';
import { SseRelay, Verdict } from './sse-relay';
import { readUsage, type Usage } from './usage';

/** What every exchange of one app shares. */
export interface ProxyContext {
  rt: Runtime; upstream: Upstream; metrics: ProxyMetrics;
  /** Requests being served, so a shutdown can end them properly once its grace period is over. */
  inflight: Set<Exchange>;
  generations: GenerationMemory;
  /** Called once at the end of every client request, however it ended (the request log hooks here). */
  onRequestDone?: RequestDoneHook;
}

/** One client request, as the route hands it over. */
export interface ClientRequest {
  protocol: Protocol;
  route: string;
  /** Upstream path, query included. */
  path: string;
  body: Buffer;
  stream: boolean;
  model: string | null;
  /** Client headers passed upstream as a flat name/value list. */
  extraHeaders: readonly string[];
  clientAddress: string | null;
}

const kExchange = Symbol('orp.exchange');
type Res = ServerResponse & { [kExchange]?: Exchange };
const GEN_KEY = Buffer.from('"id":"gen-');

interface Answer { status: number; headers: IncomingHttpHeaders; body: Buffer }
interface LastFailure { cls: FailureClass; failure: UpstreamFailure; timeout: boolean }

export class Exchange implements AttemptHandler {
  readonly relay: SseRelay | null;
  private readonly res: Res;
  private readonly tried: string[] = [];
  private readonly summary: AttemptSummary[] = [];
  private readonly startedAt = performance.now();
  private readonly at: number;
  private attempt: Attempt | null = null;
  private attempts = 0;
  private last: LastFailure | null = null;
  private done = false;
  private wait: KeyWait | null = null;
  private waitedMs = 0;
  /** For a `:free` model: only keys with room in their free window and day are picked. */
  private readonly free: boolean;
  private reported = false;
  private outcome: RequestOutcome = 'upstream_error';
  private usage: Usage | null = null;
  private generationId: string | null = null;
  private sentAt: number | null = null;

  constructor(readonly ctx: ProxyContext, private readonly reply: FastifyReply, readonly req: ClientRequest) {
    this.free = req.model !== null && req.model.trim().endsWith(':free');
    this.res = reply.raw as Res;
    this.at = ctx.rt.projection.now();
    this.relay = req.stream ? new SseRelay(reply.raw, ctx.metrics.m.streams, req.protocol.sse) : null;
  }

  get stream(): boolean { return this.req.stream; }

  start(): void {
    this.ctx.inflight.add(this);
    this.res[kExchange] = this;
    this.res.on('close', onResClose);
    if (this.stream) this.reply.hijack(); // the relay writes the raw response
    this.next();
  }

  // ------------------------------------------------------------------ the attempt's callbacks

  onFirstByte(a: Attempt): void {
    this.ctx.metrics.m.upstreamFirstByteSeconds.observe((performance.now() - a.startedAt) / 1000);
  }

  onStreamStart(a: Attempt, headers: IncomingHttpHeaders): void {
    const generation = headers['x-generation-id'];
    this.relay?.beginAttempt(typeof generation === 'string' ? generation : null, a.secret);
  }

  onStreamChunk(a: Attempt, chunk: Buffer): Outcome | null {
    const relay = this.relay as SseRelay;
    const v = relay.push(chunk);
    if (relay.accepted && a.phase === AttemptPhase.Gated) a.contentStarted();
    if (v === Verdict.Go) {
      // The end reached the client: the answer is complete whatever the upstream connection does next.
      if (relay.doneSeen) { relay.finish(); return { kind: 'streamed' }; }
      if (relay.needsDrain && a.pause()) this.res.once('drain', onResDrain);
      return null;
    }
    if (v === Verdict.LineTooLong) return { kind: 'network', message: 'the upstream sent an SSE line longer than 64 MiB', timeout: false, afterData: relay.accepted };
    return { kind: 'in-band', error: relay.error ?? { message: 'upstream error', status: null, raw: null }, afterData: v === Verdict.ErrorRelayed };
  }

  onStreamEnd(): Outcome {
    const relay = this.relay as SseRelay;
    if (relay.finish()) return { kind: 'streamed' };
    return {
      kind: 'network', timeout: false, afterData: relay.accepted,
      message: relay.accepted ? 'the upstream stream ended before its end event' : 'the upstream stream ended before any data',
    };
  }

  /** Reported once by each attempt. */
  onOutcome(a: Attempt, o: Outcome): void {
    if (a !== this.attempt || this.done) return;
    this.attempt = null;
    const now = this.ctx.rt.projection.now();
    switch (o.kind) {
      case 'ok': {
        const marks = scanMarks(o.body); // one look at the answer for the error and the usage
        if (marks & MARK_ERROR) {
          const err = this.req.protocol.inBand(parseJson(o.body));
          if (err !== null) return this.judge(a, failureInBand(err, a.secret, now), false, false, o);
        }
        const gen = o.headers['x-generation-id'];
        this.used(a, marks & MARK_USAGE ? readUsage(o.body) : null, typeof gen === 'string' ? gen : genIdIn(o.body));
        // Comments from an earlier try already opened an event stream: a JSON answer cannot follow.
        if (this.relay?.committed) return this.endStream('the upstream answered a stream request with a non-stream answer', 'upstream_error', 'upstream_error');
        this.outcome = 'success';
        return this.sendUpstream(o.status, o.headers['content-type'], gen, o.body, a.secret);
      }
      case 'streamed':
        this.used(a, this.relay?.usage ?? null, this.relay?.generationId ?? null);
        this.outcome = 'success';
        this.finish();
        return;
      case 'status':
        return this.judge(a, failureFromResponse(o.status, o.headers, o.body, a.secret, now), false, false, o);
      case 'in-band':
        return this.judge(a, failureInBand(o.error, a.secret, now), o.afterData, false, null);
      case 'network':
        return this.judge(a, failureFromNetwork(o.message), o.afterData, o.timeout, null);
    }
  }

  // ------------------------------------------------------------------ the loop

  private next(): void {
    const { rt, metrics } = this.ctx;
    const max = 1 + rt.settings.retryWithNewKeyCount;
    while (this.attempts < max) {
      const t0 = performance.now();
      const key = rt.projection.pick(this.tried, this.free);
      metrics.m.pickSeconds.observe((performance.now() - t0) / 1000);
      if (key === null) {
        this.wait = waitForKey(rt, this.free, this.waitedMs, () => { this.waitedMs += this.wait?.ms ?? 0; this.wait = null; if (!this.done) this.next(); });
        if (this.wait) return;
        break;
      }
      this.tried.push(key.id);
      const secret = rt.secrets.get(key.id);
      if (secret === undefined) continue; // added on another replica a moment ago: its secret is on the way
      if (this.attempts > 0) metrics.m.failovers.inc();
      this.attempts++;
      const up = this.ctx.upstream;
      this.attempt = new Attempt({
        dispatcher: up.pool, path: this.req.path, body: this.req.body, headers: up.jsonHeaders(secret, this.req.extraHeaders),
        stream: this.stream, firstByteMs: rt.settings.requestTimeoutSeconds * 1000, idleMs: rt.config.streamIdleTimeoutSeconds * 1000,
      }, this, key.id, secret);
      this.attempt.start();
      return;
    }
    this.giveUp();
  }

  /** Every failure, whatever its form, is classified here. */
  private judge(a: Attempt, f: UpstreamFailure, afterData: boolean, timeout: boolean, answer: Answer | null): void {
    const cls = classify(f);
    if (cls !== 'caller') return this.failed(a, f, cls, afterData, timeout);
    // The request itself was refused: the client gets the upstream's answer, and no key is blamed.
    this.ctx.metrics.attempts.caller.inc();
    this.note(a, 'caller', f.status, f.message);
    this.outcome = 'caller_error';
    if (this.relay?.committed) return this.endStream(f.message, 'invalid_request_error', f.status ?? 'upstream_error');
    // A 200 carrying the error goes as it came; an error status in the protocol's error shape.
    if (answer !== null && answer.status < 300) return this.sendUpstream(answer.status, answer.headers['content-type'], undefined, answer.body, a.secret);
    const status = answer?.status ?? f.status ?? 400;
    const body = answer?.body ?? Buffer.from(JSON.stringify({ error: { message: f.message, code: status } }));
    const shaped = this.req.protocol.upstreamErrorBody(status, body, f.message);
    if (shaped === null) return this.sendUpstream(status, answer?.headers['content-type'] ?? 'application/json', undefined, body, a.secret);
    return this.sendUpstream(status, 'application/json', undefined, Buffer.from(JSON.stringify(shaped)), a.secret);
  }

  private failed(a: Attempt, f: UpstreamFailure, cls: FailureClass, afterData: boolean, timeout: boolean): void {
    const { rt, metrics } = this.ctx;
    metrics.attempts[cls].inc();
    const key = rt.projection.state.keys[a.keyId];
    const reason = shortReason(f.status === null ? f.message : `${f.status} ${f.message}`, [a.secret]);
    if (key) {
      const jitterMs = Math.floor(rt.projection.random() * 1000); // keys resting until one reset return spread out
      const events = decideFailure({ key, cls, failure: f, reason, settings: rt.settings.policy(), now: rt.projection.now(), free: this.free, jitterMs });
      for (const e of events) rt.projection.record(e);
    }
    this.note(a, cls, f.status, reason);
    const logged = { key_id: a.keyId, class: cls, status: f.status, reason, attempt: this.attempts };
    if (cls === 'transient') rt.log.debug(logged, 'upstream attempt failed');
    else rt.log.info(logged, 'upstream attempt failed; key penalised');
    this.last = { cls, failure: f, timeout };
    if (afterData) {
      // The client already has part of an answer: another key's answer must not be appended to it.
      this.outcome = 'upstream_error';
      this.endStream(`the upstream failed mid-stream: ${f.message}`, 'upstream_error', timeout ? 'upstream_timeout' : 'upstream_error');
      return;
    }
    this.next();
  }

  private used(a: Attempt, u: Usage | null, generationId: string | null): void {
    const { rt, metrics } = this.ctx;
    metrics.attempts.success.inc();
    metrics.m.upstreamTotalSeconds.observe((performance.now() - a.startedAt) / 1000);
    this.note(a, 'success', 200, null);
    this.usage = u;
    const now = rt.projection.now();
    if (generationId !== null) {
      this.generationId = generationId;
      this.ctx.generations.remember(generationId, a.keyId, now);
    }
    for (const e of decideUse({ id: a.keyId, now, free: this.free, usage: u })) rt.projection.record(e);
  }

  private note(a: Attempt, outcome: AttemptClass, status: number | null, reason: string | null): void {
    this.summary.push({ key_id: a.keyId, outcome, status, reason, ms: Math.round(performance.now() - a.startedAt) });
  }

  /** Every try failed, or no key could be tried: one clear error naming the last upstream class. */
  private giveUp(): void {
    const last = this.last;
    const n = this.attempts;
    const tries = `${n} key${n === 1 ? '' : 's'} tried`;
    const now = this.ctx.rt.projection.now();
    const back = retryAfterSeconds(earliestKey(this.ctx.rt, this.free), now);
    if (last === null) {
      this.outcome = 'no_available_keys';
      const why = this.free ? 'every key is inactive, cooling down or out of free-model requests for now' : 'every key is inactive or cooling down';
      const when = back === null ? 'try again later or add keys in the admin dashboard' : `the earliest key returns in ${back} s`;
      return this.sendFailure('no_available_keys', `no upstream API key is available right now: ${why}; ${when}`, back);
    }
    this.outcome = 'upstream_error';
    const detail = `last upstream error: ${last.failure.message}`;
    switch (last.cls) {
      case 'rate_limit':
      case 'quota': {
        const floor = floorUntil(last.failure, now, this.ctx.rt.config.keyMaxCooldownSeconds);
        const retryAfter = back ?? (floor > now ? Math.ceil((floor - now) / 1000) : null);
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
    this.sentAt = performance.now();
    const body = JSON.stringify(this.req.protocol.errorBody(code, message));
    if (this.stream) { // hijacked: write the plain JSON error ourselves
      const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)) };
      if (retryAfter !== null) headers['retry-after'] = String(retryAfter);
      this.res.writeHead(ERRORS[code].status, headers);
      this.res.end(body);
      return;
    }
    const r = this.reply;
    if (retryAfter !== null) r.header('retry-after', String(retryAfter));
    r.code(ERRORS[code].status).type('application/json; charset=utf-8').send(body);
  }

  /** The upstream's own answer, as it came (minus any echo of the key). */
  private sendUpstream(status: number, contentType: string | string[] | undefined, generationId: string | string[] | undefined, body: Buffer, secret: string): void {
    this.finish();
    this.sentAt = performance.now();
    const out = scrubBytes(body, secret);
    const ct = typeof contentType === 'string' ? contentType : 'application/json';
    const headers = ['content-type', ct, 'content-length', String(out.length)];
    if (typeof generationId === 'string') headers.push('x-generation-id', generationId);
    // Written raw, as streams are: reply.send's hooks and header merging cost ~2 µs a request, and the
    // app's onResponse hook (the metrics) runs either way.
    if (!this.stream) this.reply.hijack();
    this.res.writeHead(status, headers);
    this.res.end(out);
  }

  private endStream(message: string, type: string, code: string | number): void {
    this.finish();
    this.relay?.fail(message, type, code);
  }

  /** The client went away before the answer was complete. */
  clientClosed(): void {
    if (this.done) return;
    this.finish();
    cancelWait(this.wait);
    this.wait = null;
    this.outcome = 'client_closed';
    const a = this.attempt;
    this.attempt = null;
    this.relay?.abandon();
    if (!a) return;
    const flowing = a.phase === AttemptPhase.Flowing;
    a.cancel(); // aborts the upstream request at once: nobody pays for tokens nobody reads
    this.ctx.metrics.attempts.aborted.inc();
    // Not the key's fault. A stream that was flowing did use the key, so it counts as a use.
    if (flowing && this.relay) this.used(a, this.relay.usage, this.relay.generationId);
    else this.note(a, 'aborted', null, 'the client closed the connection');
  }

  /**
   * Shutdown grace is over: stop the upstream and end the answer with an error (a stream cut by the
   * process exit would look complete to SDKs).
   */
  shutdown(): void {
    if (this.done) return;
    cancelWait(this.wait);
    this.wait = null;
    const a = this.attempt;
    this.attempt = null;
    const flowing = a?.phase === AttemptPhase.Flowing;
    a?.cancel();
    if (a && flowing && this.relay) this.used(a, this.relay.usage, this.relay.generationId);
    else if (a) this.note(a, 'aborted', null, 'the proxy shut down');
    if (!this.relay?.committed) this.reply.header('connection', 'close');
    this.sendFailure('not_ready', 'the proxy is shutting down; retry the request');
    this.outcome = 'shutdown';
    if (this.relay?.committed) this.res.socket?.end(); // after the error chunk: the server is closing
  }

  private finish(): void {
    this.done = true;
    this.ctx.inflight.delete(this);
  }

  resumeUpstream(): void {
    if (this.relay) this.relay.needsDrain = false;
    this.attempt?.resume();
  }

  /** The response is over (sent, or the client left): hand the summary to the hook once. */
  report(): void {
    if (this.reported) return;
    this.reported = true;
    const hook = this.ctx.onRequestDone;
    if (!hook) return;
    const firstByte = this.relay?.firstByteAt ?? this.sentAt;
    const summary: RequestSummary = {
      at: this.at, route: this.req.route, protocol: this.req.protocol.name, model: this.req.model, stream: this.stream,
      status: this.res.headersSent ? this.res.statusCode : 499, outcome: this.outcome, attempts: this.summary,
      latency_ms: Math.round(performance.now() - this.startedAt),
      ttfb_ms: firstByte === null ? null : Math.round(firstByte - this.startedAt),
      ...usageFields(this.usage), generation_id: this.generationId, client_address: this.req.clientAddress,
    };
    try { hook(summary); } catch (err) { this.ctx.rt.log.error({ err }, 'the request-done hook failed'); }
  }
}

/** The generation id in a JSON answer (`"id":"gen-…"` near its start), or null. */
function genIdIn(body: Buffer): string | null {
  const p = body.indexOf(GEN_KEY);
  if (p === -1 || p > 4096) return null;
  const from = p + 6;
  const q = body.indexOf(34, from);
  return q === -1 || q - from > 200 ? null : body.toString('latin1', from, q);
}

function onResClose(this: Res): void {
  const ex = this[kExchange];
  if (!ex) return;
  if (!this.writableFinished) ex.clientClosed();
  ex.report();
}

function onResDrain(this: Res): void {
  this[kExchange]?.resumeUpstream();
}
