// The start-up warning for a proxy anyone can use: no APP_API_KEY and an interface other than
// loopback means every address that reaches the port spends the pool.

import { isIP } from 'node:net';

export function isLoopback(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/** The warning to print, or null when the proxy is protected or only reachable from this machine. */
export function openProxyWarning(host: string, appApiKeySet: boolean): string | null {
  if (appApiKeySet || isLoopback(host)) return null;
  return `WARNING: the proxy is open to any address: APP_API_KEY is not set and HOST=${host} is not a loopback address, `
    + 'so anyone who can reach this port can spend the key pool. Set APP_API_KEY (clients then send it as their API key), '
    + 'or HOST=127.0.0.1 behind your own gateway.';
}
