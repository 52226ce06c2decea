// The process: configuration, runtime, HTTP server, signals and graceful shutdown.

import { ConfigError, loadConfig } from './config';
import { buildApp } from './app';
import { drainConnections } from './http/drain';
import { openProxyWarning } from './http/open-warning';
import { createLogger } from './logger';
import { closeRuntime, createRuntime } from './runtime';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config);
  const rt = await createRuntime(config, log);
  log.info({ database: rt.db.describe, keys: Object.keys(rt.projection.state.keys).length, ...rt.load }, 'key state loaded');
  if (rt.generatedPassword) {
    // Printed once, on the first start without ADMIN_PASSWORD; only its hash is stored.
    process.stdout.write(`\n  Admin password (generated, shown once): ${rt.generatedPassword}\n  Set ADMIN_PASSWORD or change it in the dashboard's settings.\n\n`);
  }
  const app = await buildApp(rt, { logger: log });
  await app.listen({ port: config.port, host: config.host });
  const open = openProxyWarning(config.host, rt.secretSettings.appApiKeySet);
  if (open !== null) {
    log.warn({ host: config.host }, open);
    process.stderr.write(`\n  ${open}\n\n`);
  }

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting at once');
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    stopping = true;
    log.info({ signal, grace_seconds: config.shutdownGraceSeconds }, 'shutting down: no new connections, in-flight requests may finish');
    const drain = drainConnections(app.server, config.shutdownGraceSeconds * 1000 + 1000, () => log.warn('grace period over: closing the connections still open'));
    const force = setTimeout(() => {
      log.error('graceful shutdown took too long; exiting');
      process.exit(1);
    }, (config.shutdownGraceSeconds + 15) * 1000);
    force.unref();
    try {
      await app.close(); // stops accepting; resolves when every in-flight request and stream has ended
      drain.done();
      await closeRuntime(rt); // flushes pending events, writes a snapshot, closes the database
      log.info('stopped cleanly');
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'error during shutdown');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`openrouter-polling failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});
