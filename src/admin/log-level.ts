// LOG_LEVEL is a live setting: when a SettingsChanged carrying log_level is folded (made here or on
// another replica), the server's logger switches at once. At start it takes the persisted value.

import type { FastifyInstance } from 'fastify';
import { LOG_LEVELS } from '../config';
import type { Runtime } from '../runtime';

export function followLogLevel(app: FastifyInstance, rt: Runtime): void {
  const apply = (level: unknown) => {
    if (typeof level === 'string' && (LOG_LEVELS as readonly string[]).includes(level) && app.log.level !== level) app.log.level = level;
  };
  apply(rt.settings.logLevel);
  const sub = rt.projection.folded.subscribe(({ event }) => {
    if (event.type === 'SettingsChanged' && 'log_level' in event.data.changes) apply(event.data.changes.log_level);
  });
  app.addHook('onClose', async () => sub.unsubscribe());
}
