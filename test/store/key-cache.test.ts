/**
 * The key cache (src/store/key-cache.ts) on its own, with a clock the test moves: how long an
 * answer is trusted, that only active keys are kept, that a key write on this instance wins over
 * a lookup already in flight, and that memory stays bounded. The Store suite (suite/key-cache.ts)
 * checks the same promises end to end on every backend, across two instances.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KEY_CACHE_TTL_MS, KeyCache } from '../../src/store/key-cache.ts';
import type { ApiKeyRecord } from '../../src/store/store.ts';

const active = (hash: string): ApiKeyRecord => ({ id: `key-${hash}`, name: hash, prefix: 'mg_x', hash, createdAt: 1, revokedAt: null, maxRunning: null });

/** A fake database of keys that counts its reads. */
function database(keys: ApiKeyRecord[]) {
  const rows = new Map(keys.map((k) => [k.hash, { ...k }]));
  const db = {
    reads: 0,
    revoke(hash: string) {
      rows.get(hash)!.revokedAt = 99;
    },
    read: async (hash: string) => {
      db.reads++;
      const row = rows.get(hash);
      return row && { ...row };
    },
  };
  return db;
}

function clock() {
  let now = 1_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

test('the bound is at most a second, as docs/operations.md says', () => {
  assert.ok(KEY_CACHE_TTL_MS > 0 && KEY_CACHE_TTL_MS <= 1_000);
});

test('an active key is read once per TTL; a key revoked elsewhere is refused once its entry expires', async () => {
  const time = clock();
  const cache = new KeyCache({ ttlMs: 1_000, now: time.now });
  const db = database([active('a')]);
  assert.equal((await cache.find('a', db.read))?.revokedAt, null);
  for (let i = 0; i < 5; i++) assert.equal((await cache.find('a', db.read))?.id, 'key-a');
  assert.equal(db.reads, 1, 'answered from the cache');

  db.revoke('a'); // another server or `modelgate keys revoke`: this cache is not told
  time.advance(999);
  assert.equal((await cache.find('a', db.read))?.revokedAt, null, 'still trusted inside the bound');
  time.advance(1);
  assert.equal((await cache.find('a', db.read))?.revokedAt, 99, 'read again at the bound, and seen revoked');
  assert.equal((await cache.find('a', db.read))?.revokedAt, 99);
  assert.equal(db.reads, 3, 'a revoked key is never cached: each try reads the database');
  assert.equal(cache.size, 0);
});

test('the lifetime counts from before the read began, so a slow read does not stretch the bound', async () => {
  const time = clock();
  const cache = new KeyCache({ ttlMs: 1_000, now: time.now });
  const db = database([active('a')]);
  await cache.find('a', async (hash) => {
    time.advance(600); // the read itself takes 600 ms
    return db.read(hash);
  });
  time.advance(400);
  await cache.find('a', db.read);
  assert.equal(db.reads, 2, 'expired 1 s after the read started, not after it ended');
});

test('unknown keys are never cached, so a flood of made-up keys reads each time and adds nothing to memory', async () => {
  const cache = new KeyCache({ now: clock().now });
  const db = database([]);
  for (let i = 0; i < 1_000; i++) assert.equal(await cache.find(`random-${i}`, db.read), undefined);
  assert.equal(await cache.find('random-1', db.read), undefined);
  assert.equal(db.reads, 1_001);
  assert.equal(cache.size, 0);
});

test('forgetAll (a key write on this instance) takes effect at once, even over a lookup in flight', async () => {
  const cache = new KeyCache({ now: clock().now });
  const db = database([active('a')]);
  await cache.find('a', db.read);
  db.revoke('a');
  cache.forgetAll();
  assert.equal((await cache.find('a', db.read))?.revokedAt, 99, 'the next request reads the database');

  // A lookup that read the key before a revocation, and finishes after it, must not be kept.
  const fresh = database([active('b')]);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const inFlight = cache.find('b', async (hash) => {
    const row = await fresh.read(hash); // read while still active
    await gate;
    return row;
  });
  fresh.revoke('b');
  cache.forgetAll();
  release();
  assert.equal((await inFlight)?.revokedAt, null, 'the in-flight request itself saw the key active');
  assert.equal(cache.size, 0, 'but its answer was not cached');
  assert.equal((await cache.find('b', fresh.read))?.revokedAt, 99);
});

test('the cache holds at most maxEntries keys, the oldest leaving first', async () => {
  const cache = new KeyCache({ maxEntries: 3, now: clock().now });
  const keys = Array.from({ length: 10 }, (_, i) => active(`k${i}`));
  const db = database(keys);
  for (const key of keys) await cache.find(key.hash, db.read);
  assert.equal(cache.size, 3);
  db.reads = 0;
  await cache.find('k9', db.read);
  assert.equal(db.reads, 0, 'the newest is kept');
  await cache.find('k0', db.read);
  assert.equal(db.reads, 1, 'the oldest was dropped');
  assert.equal(cache.size, 3);
});

test('a cached record is frozen: one request cannot change what the next one sees', async () => {
  const cache = new KeyCache({ now: clock().now });
  const record = (await cache.find('a', database([active('a')]).read))!;
  assert.throws(() => {
    (record as { revokedAt: number | null }).revokedAt = null;
    (record as { name: string }).name = 'changed';
  }, TypeError);
});
