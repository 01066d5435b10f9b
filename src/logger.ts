/** JSON logs (pino), one logger per process; components take children of it. */
import { pino, type DestinationStream, type Logger } from 'pino';
import { redactUrlSecrets } from './redact-secrets.ts';

/** `destination` defaults to stdout; tests pass a stream to read what would be logged. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({
    level,
    base: { service: 'modelgate' },
    // Keys and bearer tokens must never reach a log line.
    redact: { paths: ['req.headers.authorization', 'headers.authorization', '*.headers.authorization', '*.apiKey', '*.token'], censor: '[redacted]' },
    // URLs turn up in many fields (a request's url, an input being fetched, an error's message),
    // so their secrets are removed from the finished line, whichever field or level it is.
    hooks: { streamWrite: redactUrlSecrets },
  }, destination);
}
