/**
 * Key lookups are cached per Store instance (src/store/key-cache.ts). What that may never break:
 * a key revoked or changed through an instance is seen so by that instance at once, and by every
 * other instance (another API server) within KEY_CACHE_TTL_MS; an unknown key stays unknown.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KEY_CACHE_TTL_MS } from '../../../src/store/key-cache.ts';
import type { ApiKeyRecord } from '../../../src/store/store.ts';
import { sleep, T0, type SuiteContext } from './support.ts';

const key = (n: number): ApiKeyRecord => ({ id: `key-${n}`, name: `k${n}`, prefix: 'mg_cache', hash: String(n).repeat(64).slice(0, 64), createdAt: T0, revokedAt: null, maxRunning: null });

export function keyCacheTests(ctx: SuiteContext): void {
  test('a revocation is seen at once by the instance that made it, and by another within the cache bound', async () => {
    const { store: here, another } = await ctx.fresh();
    const elsewhere = await another();
    const k = key(1);
    await here.insertApiKey(k);
    // Both instances have the key cached as active.
    assert.equal((await here.findApiKeyByHash(k.hash))?.revokedAt, null);
    assert.equal((await elsewhere.findApiKeyByHash(k.hash))?.revokedAt, null);

    assert.equal(await here.revokeApiKey(k.id, T0 + 5), true);
    const revokedAt = Date.now();
    assert.equal((await here.findApiKeyByHash(k.hash))?.revokedAt, T0 + 5, 'the revoking instance: the very next lookup');

    let seen: ApiKeyRecord | undefined;
    do {
      seen = await elsewhere.findApiKeyByHash(k.hash);
      if (seen?.revokedAt === null) await sleep(25);
    } while (seen?.revokedAt === null && Date.now() - revokedAt < KEY_CACHE_TTL_MS + 2_000);
    const waited = Date.now() - revokedAt;
    assert.equal(seen?.revokedAt, T0 + 5, `the other instance still accepted the key ${waited} ms after the revocation`);
    // The bound, plus this machine's scheduling slack (a loaded CI box stalls for hundreds of ms).
    assert.ok(waited <= KEY_CACHE_TTL_MS + 1_000, `seen revoked after ${waited} ms; the bound is ${KEY_CACHE_TTL_MS} ms`);
  });

  test("a key's quota change is seen at once by the instance that made it", async () => {
    const { store } = await ctx.fresh();
    const k = key(2);
    await store.insertApiKey(k);
    assert.equal((await store.findApiKeyByHash(k.hash))?.maxRunning, null);
    assert.equal(await store.setApiKeyMaxRunning(k.id, 3), true);
    assert.equal((await store.findApiKeyByHash(k.hash))?.maxRunning, 3);
  });

  test('an unknown key is not remembered as unknown: a key inserted later works at once', async () => {
    const { store, another } = await ctx.fresh();
    const elsewhere = await another();
    const k = key(3);
    assert.equal(await store.findApiKeyByHash(k.hash), undefined);
    assert.equal(await elsewhere.findApiKeyByHash(k.hash), undefined);
    await elsewhere.insertApiKey(k);
    assert.deepEqual(await store.findApiKeyByHash(k.hash), k, 'created by another instance, usable here on the next request');
  });
}
