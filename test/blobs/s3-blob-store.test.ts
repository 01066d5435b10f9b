import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/blobs/s3/s3-client.ts';
import { S3BlobStore } from '../../src/blobs/s3/s3-blob-store.ts';
import { isStorageFault } from '../../src/store/storage-fault.ts';
import { startS3Bucket, type S3Bucket } from '../support/s3-bucket.ts';
import { startTcpPartition } from '../support/tcp-partition.ts';
import { blobStoreSuite } from './blob-store-suite.ts';
import { startS3rverProcess } from './s3rver-process.ts';

const MIB = 1024 * 1024;

function client(endpoint: string, timeoutMs?: number): S3Client {
  return createS3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, maxAttempts: 1, ...(timeoutMs ? { timeoutMs } : {}) });
}

function s3Store(endpoint: string, options: { bucket?: string; prefix?: string; publicBaseUrl?: string; timeoutMs?: number } = {}): S3BlobStore {
  return new S3BlobStore({
    client: client(endpoint, options.timeoutMs),
    bucket: options.bucket ?? 'modelgate',
    prefix: options.prefix ?? 'mg/',
    publicUrl: 'http://mg.test',
    publicBaseUrl: options.publicBaseUrl,
    // S3's smallest part, and two at a time: the memory bound the suite checks is small.
    partSize: 5 * MIB,
    queueSize: 2,
  });
}

blobStoreSuite('S3 (s3rver)', async () => {
  // In its own process: the suite measures how much memory a put holds in this one.
  const bucket = await startS3rverProcess('modelgate');
  const store = s3Store(bucket.endpoint);
  let parts = 0;
  store.client.middlewareStack.add((next, context) => (args) => {
    if (context.commandName === 'UploadPartCommand') parts++;
    return next(args);
  }, { step: 'initialize' });
  return {
    store,
    expectedUrl: (key) => `http://mg.test/v1/blobs/${key}`,
    largeBytes: 128 * MIB,
    // Two parts in flight and one being filled, plus the copies lib-storage makes of a part and
    // what a loaded machine leaves uncollected between samples (measured: 19 MiB alone, up to 58 MiB beside
    // other test runs); a whole-file buffer (128 MiB) still breaks it.
    memoryBound: 80 * MIB,
    partsUploaded: () => parts,
    async close() {
      await store.close();
      await bucket.close();
    },
  };
});

describe('S3 blob store specifics', () => {
  let bucket: S3Bucket;
  before(async () => {
    bucket = await startS3Bucket();
  });
  after(() => bucket.close());

  test('objects are written under the configured prefix', async () => {
    const store = s3Store(bucket.endpoint, { prefix: 'deep/er/' });
    await store.put('outputs/a/1-b/0.png', Buffer.from('x'), 'image/png');
    await store.close();
    assert.ok(bucket.keys().includes('deep/er/outputs/a/1-b/0.png'), bucket.keys().join(', '));
  });

  test('with a public base URL, output URLs are the bucket\'s (prefix included)', async () => {
    const store = s3Store(bucket.endpoint, { publicBaseUrl: 'https://cdn.example/files' });
    assert.equal(store.url('outputs/a/1-b/0.png'), 'https://cdn.example/files/mg/outputs/a/1-b/0.png');
    await store.close();
  });

  test('a bucket that stops answering without a reset: requests and a download under way fail as storage faults within the limit, and work again once it answers', async () => {
    const limitMs = 1_000;
    const relay = await startTcpPartition({ host: '127.0.0.1', port: Number(new URL(bucket.endpoint).port) });
    const store = s3Store(`http://127.0.0.1:${relay.port}`, { timeoutMs: limitMs });
    try {
      const key = 'outputs/a/1-b/silent.bin';
      await store.put(key, Buffer.alloc(4 * MIB, 7), 'application/octet-stream');
      // A download under way when the bucket goes silent: its stream errors instead of stalling forever.
      const download = await store.read(key);
      const failed = new Promise<{ error: unknown; ms: number }>((resolve) => {
        let started = 0;
        download.once('data', () => {
          relay.cut();
          started = performance.now();
          download.pause();
          setTimeout(() => download.resume(), 50);
        });
        download.on('error', (error) => resolve({ error, ms: performance.now() - started }));
        download.on('end', () => resolve({ error: undefined, ms: performance.now() - started }));
      });
      const stalled = await failed;
      assert.ok(stalled.error !== undefined, 'the download ended although the bucket had gone silent');
      assert.ok(stalled.ms <= limitMs + 2_000, `the stalled download failed after ${Math.round(stalled.ms)} ms, limit ${limitMs} ms`);

      for (const [what, attempt] of [
        ['put', () => store.put('outputs/a/1-b/other.png', Buffer.from('x'), 'image/png')],
        ['head', () => store.head(key)],
        ['read', () => store.read(key)],
      ] as Array<[string, () => Promise<unknown>]>) {
        const started = performance.now();
        await assert.rejects(attempt(), (error: unknown) => {
          assert.ok(isStorageFault(error), `${what}: ${String(error)}`);
          return true;
        });
        const ms = performance.now() - started;
        assert.ok(ms <= limitMs + 2_000, `${what} failed after ${Math.round(ms)} ms, limit ${limitMs} ms`);
      }

      relay.heal();
      assert.equal((await store.head(key))?.size, 4 * MIB);
    } finally {
      await store.close();
      await relay.close();
    }
  });

  test('an unreachable S3 is a storage fault, not a missing blob or the job\'s error', async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const store = s3Store(`http://127.0.0.1:${port}`);
    const key = 'outputs/a/1-b/0.png';
    for (const attempt of [() => store.put(key, Buffer.from('x'), 'image/png'), () => store.head(key), () => store.read(key), () => store.delete(key)]) {
      await assert.rejects(attempt(), (error: unknown) => {
        assert.ok(isStorageFault(error), String(error));
        return true;
      });
    }
    await store.close();
  });
});
