/**
 * The key check behind every authenticated request, without a database read per request: each
 * Store keeps the active keys it looked up recently, by digest, for at most KEY_CACHE_TTL_MS.
 *
 * What may be stale, and for how long:
 * - A key revoked (or changed) through this Store instance is forgotten at once: revokeApiKey and
 *   the other key writes call `forgetAll()`, and a lookup that was already in flight then does
 *   not put its answer in (the generation check), so the very next request reads the database.
 * - A key revoked elsewhere (`modelgate keys revoke` in another process, another API server)
 *   stops working here within KEY_CACHE_TTL_MS of the commit: an entry's lifetime is counted
 *   from before its database read began, so no answer is trusted longer than that after the
 *   snapshot it came from.
 * - Only active keys are kept. An unknown or revoked key is never cached: each try reads the
 *   database, as before, so a revoked key cannot pass from the cache and a flood of made-up keys
 *   adds nothing to memory. The size bound (oldest entry out first) caps what many real keys take.
 */
import type { ApiKeyRecord } from './store.ts';

/** How long a key read from the database is trusted on this server (docs/operations.md: key revocation). */
export const KEY_CACHE_TTL_MS = 1_000;
/** Active keys remembered at once; past it the oldest is dropped (it only costs that key a read). */
export const KEY_CACHE_MAX_ENTRIES = 4_096;

interface Entry {
  record: ApiKeyRecord;
  /** Monotonic ms (performance.now()) after which the entry is not used. */
  until: number;
}

export interface KeyCacheOptions {
  ttlMs?: number;
  maxEntries?: number;
  /** Monotonic milliseconds; tests pass their own clock. */
  now?: () => number;
}

export class KeyCache {
  private readonly entries = new Map<string, Entry>();
  private generation = 0;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: KeyCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? KEY_CACHE_TTL_MS;
    this.maxEntries = options.maxEntries ?? KEY_CACHE_MAX_ENTRIES;
    this.now = options.now ?? (() => performance.now());
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * The key record for `hash`: from the cache while fresh, else from `read` (the database). The
   * record is shared by every request that uses it until it expires, so it is frozen.
   */
  async find(hash: string, read: (hash: string) => Promise<ApiKeyRecord | undefined>): Promise<ApiKeyRecord | undefined> {
    const hit = this.entries.get(hash);
    if (hit !== undefined) {
      if (hit.until > this.now()) return hit.record;
      this.entries.delete(hash);
    }
    const generation = this.generation;
    const startedAt = this.now();
    const record = await read(hash);
    if (record === undefined || record.revokedAt !== null || generation !== this.generation) return record;
    Object.freeze(record);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(hash, { record, until: startedAt + this.ttlMs });
    return record;
  }

  /** After any key write on this instance: nothing cached, and no lookup in flight may add to it. */
  forgetAll(): void {
    this.generation++;
    this.entries.clear();
  }
}
