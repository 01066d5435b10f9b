/**
 * The orphan reaper removes exactly the folders whose attempt can no longer settle (scratch and
 * unreferenced outputs), and keeps a live attempt's, a finished job's referenced outputs and
 * anything of a job the database does not know.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { NewJob, Store } from '../../src/store/store.ts';
import { reapOutputFolders, reapWorkFolders } from '../../src/worker/orphan-reaper.ts';
import { tempDir } from '../support/harness.ts';

const dir = tempDir();
after(() => dir.remove());

const T0 = 1_700_000_000_000;
const job = (id: string): NewJob => ({ id, ownerKeyId: 'owner', modelId: 'test/model', input: {}, maxAttempts: 5, createdAt: T0 });

function folder(...parts: string[]): string {
  const path = join(dir.path, ...parts);
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, '0.png'), 'x');
  return path;
}

/** Jobs in every situation the reaper must tell apart, each claimed by its own worker. */
async function scenario(store: Store) {
  for (const id of ['live', 'relost', 'done', 'released', 'failed']) await store.insertJob(job(id));
  for (let i = 0; i < 5; i++) await store.claimNext('w', 1_000, T0);
  // relost and done lose their first lease and are claimed again (attempt 2).
  for (const id of ['live', 'released', 'failed']) await store.heartbeat(id, 1, 10_000, T0);
  await store.sweepExpiredLeases(T0 + 2_000);
  await store.claimNext('w', 60_000, T0 + 2_000);
  await store.claimNext('w', 60_000, T0 + 2_000);
  await store.complete('done', 2, [{ key: 'outputs/done/2-cccc/0.png', kind: 'image', contentType: 'image/png' }], T0 + 3_000);
  await store.release('released', 1);
  await store.fail('failed', 1, { type: 'x', message: 'x' }, T0 + 3_000);
}

test('work/ and outputs/ folders of attempts that can no longer settle go; live, referenced and unknown ones stay', async () => {
  const store = await SqliteStore.open({ path: join(dir.path, 'modelgate.db'), synchronous: 'NORMAL' });
  const another = await SqliteStore.open({ path: join(dir.path, 'modelgate.db'), synchronous: 'NORMAL' });
  try {
    await scenario(store);
    const keep = [
      folder('work', 'live-1'), folder('blobs/outputs/live/1-aaaa'),
      folder('work', 'relost-2'), folder('blobs/outputs/relost/2-bbbb'),
      folder('blobs/outputs/done/2-cccc'),
      folder('work', 'stranger-1'), folder('blobs/outputs/stranger/1-ffff'),
      folder('work', 'not-an-attempt'), folder('blobs/outputs/done/notes'),
    ];
    const gone = [
      folder('work', 'relost-1'), folder('blobs/outputs/relost/1-b0b0'),
      folder('work', 'done-1'), folder('work', 'done-2'), folder('blobs/outputs/done/1-dddd'),
      folder('work', 'released-1'), folder('blobs/outputs/released/1-eeee'),
      folder('work', 'failed-1'), folder('blobs/outputs/failed/1-9999'),
    ];
    // Two processes on one data folder reap at once: they agree, and neither fails.
    const [first, second] = await Promise.all([store, another].map(async (s) => ({
      work: await reapWorkFolders(s, dir.path),
      outputs: await reapOutputFolders(s, join(dir.path, 'blobs')),
    })));
    assert.equal(first!.work + second!.work >= 5, true, JSON.stringify({ first, second }));
    for (const path of keep) assert.ok(existsSync(path), `kept: ${path}`);
    for (const path of gone) assert.ok(!existsSync(path), `removed: ${path}`);
    assert.ok(!existsSync(join(dir.path, 'blobs/outputs/failed')), "a finished job's emptied folder goes too");
    assert.ok(existsSync(join(dir.path, 'blobs/outputs/released')), 'a job that can still run keeps its folder');
    // Once the live attempt is over, its folders are orphans too.
    await store.release('live', 1);
    assert.equal(await reapWorkFolders(store, dir.path), 1);
    assert.equal(await reapOutputFolders(store, join(dir.path, 'blobs')), 1);
    assert.ok(!existsSync(join(dir.path, 'work/live-1')) && !existsSync(join(dir.path, 'blobs/outputs/live/1-aaaa')));
  } finally {
    await store.close();
    await another.close();
  }
});
