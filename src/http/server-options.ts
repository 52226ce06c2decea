// The HTTP server's own limits, from the configuration: which proxies' X-Forwarded-* count, and how
// long a client may take to send its request. A connection that sends headers and one body byte
// used to stay open forever (fastify turns node's request timeout off), so a few hundred of them
// exhausted the file descriptors.
//
// What has a deadline and what has not:
// - headers: HTTP_HEADERS_TIMEOUT_SECONDS; the whole request (headers and body):
//   HTTP_REQUEST_TIMEOUT_SECONDS, long enough for BODY_LIMIT_BYTES on a slow link (10 MiB in 300 s
//   is 35 KB/s); either answers 408 and closes the connection;
// - an idle kept-alive connection: HTTP_KEEP_ALIVE_TIMEOUT_SECONDS;
// - the answer, streams included: no total deadline and no socket idle timeout here (fastify's
//   connectionTimeout stays 0), because a non-streamed answer may wait REQUEST_TIMEOUT_SECONDS for
//   the upstream in silence and a stream may run for hours; the proxy's own timeouts bound those.

import type { ServerOptions } from 'node:http';
import type { Config } from '../config';

type TrustFn = (address: string, hop: number) => boolean;

export interface ServerLimits {
  trustProxy: false | string[] | TrustFn; requestTimeout: number; keepAliveTimeout: number; connectionTimeout: number; http: ServerOptions;
}

export function serverOptions(config: Config): ServerLimits {
  const headersMs = Math.min(config.httpHeadersTimeoutSeconds, config.httpRequestTimeoutSeconds) * 1000;
  return {
    trustProxy: trustProxyOption(config.trustProxy),
    requestTimeout: config.httpRequestTimeoutSeconds * 1000,
    keepAliveTimeout: config.httpKeepAliveTimeoutSeconds * 1000,
    connectionTimeout: 0,
    // node checks the two deadlines every connectionsCheckingInterval (30 s by default): a quarter of
    // the shorter one keeps the overshoot small without a timer per connection.
    http: { headersTimeout: headersMs, connectionsCheckingInterval: Math.max(250, Math.min(30_000, headersMs / 4)) },
  };
}

/**
 * A number of hops becomes "trust the first n addresses from the socket inwards" (fastify 5 reads a
 * bare number as trusting nothing); a list stays a list of trusted proxy addresses.
 */
export function trustProxyOption(tp: Config['trustProxy']): false | string[] | TrustFn {
  if (tp === false || tp === 0) return false;
  if (typeof tp === 'number') return (_address, hop) => hop < tp;
  return tp;
}
