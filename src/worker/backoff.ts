/**
 * Exponential back-off for faults that are nobody's in particular (a full disk, a database that
 * restarts): wait `baseMs` after the first fault, twice as long after each further one in a row,
 * never more than `capMs`, with ±20 % jitter so processes that failed together do not retry in
 * lock-step. One success ends the run of faults.
 */
export const BACKOFF_CAP_MS = 60_000;

/**
 * The cap for pausing claims and sweeps: short, since each retry there costs a probe write or one
 * query, and once space returns a process should be back to work within seconds, not a minute.
 */
export const PAUSE_CAP_MS = 15_000;

/** The wait after the `faults`-th fault in a row (1 = the first). */
export function backoffDelay(faults: number, baseMs: number, capMs: number = BACKOFF_CAP_MS, random: () => number = Math.random): number {
  const exponential = Math.min(capMs, baseMs * 2 ** Math.max(0, Math.min(faults - 1, 30)));
  return Math.round(exponential * (0.8 + 0.4 * random()));
}

/** A run of faults and the time before which the next try should not be made. */
export class Backoff {
  private faults = 0;
  private until = 0;

  constructor(
    private readonly baseMs: number,
    private readonly capMs: number = BACKOFF_CAP_MS,
  ) {}

  /** Records a fault; returns how long to wait. */
  fault(now: number): number {
    this.faults += 1;
    const delay = backoffDelay(this.faults, this.baseMs, this.capMs);
    this.until = now + delay;
    return delay;
  }

  succeed(): void {
    this.faults = 0;
    this.until = 0;
  }

  /** Whether the last try failed (so the next one should first check the fault has passed). */
  get failing(): boolean {
    return this.faults > 0;
  }

  /** Milliseconds still to wait before the next try; 0 when it may go now. */
  remaining(now: number): number {
    return Math.max(0, this.until - now);
  }
}
