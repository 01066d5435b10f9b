/**
 * The orphan reaper on a blob store without a local folder: it works from the store's key
 * listing and deletes the objects of exactly the attempt folders that can no longer settle,
 * keeping a live attempt's, a settled job's referenced outputs and a job the database does not know.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createS3Client } from '../../src/blobs/s3/s3-client.ts';
import { S3BlobStore } from '../../src/blobs/s3/s3-blob-store.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { NewJob } from '../../src/store/store.ts';
import { reapOutputKeys } from '../../src/worker/orphan-reaper.ts';
import { tempDir } from '../support/harness.ts';
import { startS3Bucket } from '../support/s3-bucket.ts';

const dir = tempDir();
after(() => dir.remove());

const T0 = 1_700_000_000_000;
const job = (id: string): NewJob => ({ id, ownerKeyId: 'owner', modelId: 'test/model', input: {}, maxAttempts: 5, createdAt: T0 });

test('output objects of attempts that can no longer settle are deleted; live, referenced and unknown ones stay', async () => {
  const bucket = await startS3Bucket();
  const client = createS3Client({ endpoint: bucket.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  const blobs = new S3BlobStore({ client, bucket: bucket.bucket, prefix: 'mg/', publicUrl: 'http://mg.test', publicBaseUrl: undefined });
  const store = await SqliteStore.open({ path: join(dir.path, 'modelgate.db'), synchronous: 'NORMAL' });
  try {
    for (const id of ['live', 'relost', 'done', 'failed']) await store.insertJob(job(id));
    for (let i = 0; i < 4; i++) await store.claimNext('w', 1_000, T0);
    // relost and done lose their first lease and are claimed again (attempt 2).
    for (const id of ['live', 'failed']) await store.heartbeat(id, 1, 10_000, T0);
    await store.sweepExpiredLeases(T0 + 2_000);
    await store.claimNext('w', 60_000, T0 + 2_000);
    await store.claimNext('w', 60_000, T0 + 2_000);
    await store.complete('done', 2, [{ key: 'outputs/done/2-cccc/0.png', kind: 'image', contentType: 'image/png' }], T0 + 3_000);
    await store.fail('failed', 1, { type: 'x', message: 'x' }, T0 + 3_000);

    const keep = ['outputs/live/1-aaaa/0.png', 'outputs/relost/2-bbbb/0.png', 'outputs/done/2-cccc/0.png', 'outputs/stranger/1-ffff/0.png', 'outputs/done/notes/0.png', 'uploads/file_x/abc/file.png'];
    const gone = ['outputs/relost/1-b0b0/0.png', 'outputs/relost/1-b0b0/1.png', 'outputs/done/1-dddd/0.png', 'outputs/failed/1-9999/0.png'];
    for (const key of [...keep, ...gone]) await blobs.put(key, Buffer.from('x'), 'image/png');

    assert.equal(await reapOutputKeys(store, blobs), 3, 'three attempt folders');
    assert.deepEqual(bucket.keys(), keep.map((key) => `mg/${key}`).sort());
    // Once the live attempt is over, its objects are orphans too.
    await store.release('live', 1);
    assert.equal(await reapOutputKeys(store, blobs), 1);
    assert.equal(await blobs.head('outputs/live/1-aaaa/0.png'), undefined);
  } finally {
    await store.close();
    await blobs.close();
    await bucket.close();
  }
});
