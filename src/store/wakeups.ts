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
