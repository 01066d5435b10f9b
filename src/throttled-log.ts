/**
 * Logs the first of a run of identical errors at once and then at most one line per window per
 * kind, with the number it stands for. A full disk makes every claim, heartbeat and sweep fail
 * several times a second; an operator needs to see that it is happening and how often, not
 * thousands of lines that push everything else out of the log (and fill the disk further).
 */
/** The two levels it writes at; pino's and Fastify's loggers both fit. */
interface LevelLogger {
  error(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

const WINDOW_MS = 30_000;

interface Window {
  openedAt: number;
  suppressed: number;
}

export class ThrottledLog {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly log: LevelLogger,
    private readonly windowMs: number = WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Logs at `level` unless a line of this `kind` was logged less than a window ago; the next line
   * after a quiet window carries `suppressed`, the count of lines left out since the last one.
   */
  write(level: 'error' | 'warn', kind: string, fields: Record<string, unknown>, message: string): void {
    const now = this.now();
    const window = this.windows.get(kind);
    if (window && now - window.openedAt < this.windowMs) {
      window.suppressed += 1;
      return;
    }
    const suppressed = window?.suppressed ?? 0;
    this.windows.set(kind, { openedAt: now, suppressed: 0 });
    this.log[level](suppressed > 0 ? { ...fields, suppressed } : fields, suppressed > 0 ? `${message} (${suppressed} more like it since the last line)` : message);
  }

  /** Ends a kind's run (the fault passed): the next fault of that kind is logged at once. */
  reset(kind: string): void {
    this.windows.delete(kind);
  }
}
