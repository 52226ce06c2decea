// Closing the HTTP server without waiting on sockets that have nothing in flight.

import type { Server } from 'node:http';

/**
 * While the server closes: a keep-alive socket with no request in flight would hold the close open
 * until its idle timeout, so idle sockets are closed as soon as they are idle. After `hardCutMs`
 * every socket still open is closed, streams included: callers give the proxy's grace period plus a
 * margin, so the error chunks it writes at the end of the grace period still reach the clients.
 */
export function drainConnections(server: Server, hardCutMs: number, onGraceOver: () => void): { done(): void } {
  server.closeIdleConnections();
  const idle = setInterval(() => server.closeIdleConnections(), 50);
  const grace = setTimeout(() => { onGraceOver(); server.closeAllConnections(); }, hardCutMs);
  idle.unref();
  grace.unref();
  return { done: () => { clearInterval(idle); clearTimeout(grace); } };
}
