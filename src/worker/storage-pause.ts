/**
 * A pause in recurring work (claiming jobs, sweeping leases) while storage fails: each fault
 * lengthens it (Backoff, capped at PAUSE_CAP_MS) and is logged through a ThrottledLog with the
 * wait it caused; the first try that works ends it, logs that once, and lets the next fault of
 * every kind seen be logged at once again. The worker pool and the sweeper share this, so both
 * pause, log and resume alike.
 */
import type { ThrottledLog } from '../throttled-log.ts';
import { Backoff, PAUSE_CAP_MS } from './backoff.ts';

export class StoragePause {
  private readonly backoff: Backoff;
  private readonly kinds = new Set<string>();

  constructor(
    private readonly faults: ThrottledLog,
    private readonly log: { info(fields: object, message: string): void },
    baseMs: number,
    /** Logged when the pause ends, e.g. "claiming resumed". */
    private readonly resumed: string,
  ) {
    this.backoff = new Backoff(baseMs, PAUSE_CAP_MS);
  }

  get failing(): boolean {
    return this.backoff.failing;
  }

  /** Milliseconds still to wait; 0 when the work may be tried now. */
  remaining(now: number): number {
    return this.backoff.remaining(now);
  }

  /** Records a fault of `kind` and logs it, throttled, with how long the work now pauses. */
  fault(kind: string, fields: Record<string, unknown>, message: string): void {
    const waitMs = this.backoff.fault(Date.now());
    this.kinds.add(kind);
    this.faults.write('error', kind, { ...fields, retry_in_ms: waitMs }, message);
  }

  /** Lengthens the pause for a fault already logged by whoever met it. */
  extend(): void {
    this.backoff.fault(Date.now());
  }

  /** A try that worked: ends the pause, if there was one. */
  recovered(fields: object = {}): void {
    if (!this.backoff.failing) return;
    this.backoff.succeed();
    for (const kind of this.kinds) this.faults.reset(kind);
    this.kinds.clear();
    this.log.info(fields, this.resumed);
  }
}
