/**
 * A @fastify/rate-limit store over the Store seam (Store.hitRateWindow): fixed windows aligned to
 * the clock, counted in the database every API server shares, so a key's budget is one budget
 * however many servers answer it. Like any fixed window it lets a burst straddling a window edge
 * reach twice the budget in a minute; every server agrees on the windows, so that is the bound.
 */
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Store } from '../store/store.ts';

type HitWindow = Store['hitRateWindow'];

export function windowStoreClass(hit: HitWindow, now: () => number = Date.now): FastifyRateLimitStoreCtor {
  class WindowStore implements FastifyRateLimitStore {
    constructor(_options?: unknown, private readonly prefix = '') {}

    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number): void {
      const at = now();
      const windowStart = at - (at % timeWindow);
      hit(this.prefix + key, windowStart).then(
        (current) => callback(null, { current, ttl: windowStart + timeWindow - at }),
        (error: unknown) => callback(error as Error),
      );
    }

    /** The plugin asks for one per route that has its own rateLimit config: its own counters. */
    child(routeOptions: { method: string | string[]; url: string }): FastifyRateLimitStore {
      return new WindowStore(undefined, `${this.prefix}${String(routeOptions.method)}${routeOptions.url}-`);
    }
  }
  return WindowStore;
}
