/** JSON logs (pino), one logger per process; components take children of it. */
import { pino, type DestinationStream, type Logger } from 'pino';

/** `destination` defaults to stdout; tests pass a stream to read what would be logged. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({
    level,
    base: { service: 'modelgate' },
    // Keys and bearer tokens must never reach a log line.
    redact: { paths: ['req.headers.authorization', 'headers.authorization', '*.headers.authorization', '*.apiKey', '*.token'], censor: '[redacted]' },
  }, destination);
}
