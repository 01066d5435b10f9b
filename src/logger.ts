/** JSON logs (pino), one logger per process; components take children of it. */
import { pino, type Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'modelgate' },
    // Keys and bearer tokens must never reach a log line.
    redact: { paths: ['req.headers.authorization', 'headers.authorization', '*.apiKey', '*.token'], censor: '[redacted]' },
  });
}
