// pino JSON logs (pretty on a terminal), with every secret-bearing field redacted.

import pino, { type Logger } from 'pino';
import type { Config } from './config';

export const REDACT_PATHS = [
  'req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]',
  'res.headers["set-cookie"]', 'headers.authorization', 'headers.cookie',
  'password', 'admin_password', 'app_api_key', 'secret', 'key_data', '*.password', '*.admin_password',
  '*.app_api_key', '*.secret', '*.key_data', '*.authorization', '*.Authorization',
];

export function createLogger(config: Pick<Config, 'logLevel'>, destination?: pino.DestinationStream): Logger {
  const pretty = !destination && process.stdout.isTTY && process.env.NODE_ENV !== 'production';
  const options: pino.LoggerOptions = {
    level: config.logLevel,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
  };
  if (destination) return pino(options, destination);
  if (pretty) return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true } } });
  return pino(options);
}
