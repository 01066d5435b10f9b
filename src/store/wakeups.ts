/**
 * "A job may be claimable now": how a store tells this process's idle workers. Every backend
 * signals after its own commits; PostgreSQL also relays other processes' NOTIFYs through it.
 */
import { EventEmitter } from 'node:events';

export class Wakeups {
  private readonly events = new EventEmitter();

  constructor() {
    // One listener per idle worker slot; any number of slots is legitimate.
    this.events.setMaxListeners(0);
  }

  notify(): void {
    this.events.emit('available');
  }

  /** Returns the unsubscribe. */
  subscribe(listener: () => void): () => void {
    this.events.on('available', listener);
    return () => this.events.off('available', listener);
  }

  clear(): void {
    this.events.removeAllListeners();
  }
}

/**
 * "This job may have settled" (succeeded, failed or cancelled), for requests that hold their
 * answer until then (Prefer: wait). Listeners subscribe to one job, so a settle calls only that
 * job's waiters however many requests are held; `notifyAll` (settles may have been missed: a
 * LISTEN connection dropped) calls every waiter, each then re-reads its job.
 */
export class SettleWakeups {
  private readonly events = new EventEmitter();
  private static readonly ALL = Symbol('all');

  constructor() {
    // One listener per held request; the API bounds how many (MODELGATE_MAX_WAITING_REQUESTS).
    this.events.setMaxListeners(0);
  }

  notify(id: string): void {
    this.events.emit(id);
  }

  notifyAll(): void {
    this.events.emit(SettleWakeups.ALL);
  }

  /** Returns the unsubscribe. */
  subscribe(id: string, listener: () => void): () => void {
    this.events.on(id, listener);
    this.events.on(SettleWakeups.ALL, listener);
    return () => {
      this.events.off(id, listener);
      this.events.off(SettleWakeups.ALL, listener);
    };
  }

  clear(): void {
    this.events.removeAllListeners();
  }
}
