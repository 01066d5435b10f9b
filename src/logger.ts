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

type LogMethod = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * A request's logger that costs nothing until it writes a line. Fastify makes a child logger per
 * request, and pino's child() serialises and redacts its bindings at once (~3 µs, a tenth of a
 * status poll), though nearly every request writes no line at all. This one keeps the bindings
 * and makes the real child on the first line that the level lets through, so every line written
 * still carries the request id (and the key's prefix, see bind()).
 */
export class LazyRequestLogger {
  private real: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Record<string, unknown>,
    private readonly options: { level?: string; serializers?: Record<string, (value: unknown) => unknown> } = {},
  ) {}

  /** Adds a binding to every line written from now on (auth adds the key's prefix). */
  bind(name: string, value: unknown): void {
    if (this.real) this.real = this.real.child({ [name]: value });
    else this.bindings[name] = value;
  }

  private logger(): Logger {
    this.real ??= this.parent.child(this.bindings, this.options);
    return this.real;
  }

  private enabled(method: LogMethod): boolean {
    if (this.real) return this.real.isLevelEnabled(method);
    const own = this.options.level;
    return own === undefined ? this.parent.isLevelEnabled(method) : this.parent.levels.values[method]! >= this.parent.levels.values[own]!;
  }

  private write(method: LogMethod, args: unknown[]): void {
    if (this.enabled(method)) (this.logger()[method] as (...a: unknown[]) => void)(...args);
  }

  get level(): string {
    return this.real?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: string) {
    this.logger().level = level;
  }

  fatal(...args: unknown[]): void { this.write('fatal', args); }
  error(...args: unknown[]): void { this.write('error', args); }
  warn(...args: unknown[]): void { this.write('warn', args); }
  info(...args: unknown[]): void { this.write('info', args); }
  debug(...args: unknown[]): void { this.write('debug', args); }
  trace(...args: unknown[]): void { this.write('trace', args); }
  silent(): void {}

  child(bindings: Record<string, unknown>, options?: object): Logger {
    return this.logger().child(bindings, options);
  }
}
