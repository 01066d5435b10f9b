/**
 * The behaviour every BlobStore backend owes the rest of ModelGate, run by one test file per
 * backend (local-blob-store.test.ts, s3-blob-store.test.ts) so that a difference between them
 * shows up as a failing test here rather than in production.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer, text } from 'node:stream/consumers';
import { after, before, describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { BlobNotFoundError, type BlobStore } from '../../src/blobs/blob-store.ts';
import { tempDir } from '../support/harness.ts';

export interface SuiteBackend {
  store: BlobStore;
  /** The URL `store.url(key)` must give. */
  expectedUrl(key: string): string;
  /** A blob this large is stored in parts (multipart), where the backend has parts. */
  largeBytes: number;
  /** The most buffer memory storing it may hold at once: well under `largeBytes`. */
  memoryBound: number;
  /** How many parts the backend has uploaded so far, where it uploads in parts. */
  partsUploaded: (() => number) | undefined;
  close(): Promise<void>;
}

/** A stream of `total` bytes made as it is read, in fresh 1 MiB chunks, so none of it exists up front. */
function generated(total: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const size = Math.min(1024 * 1024, total - sent);
      this.push(Buffer.alloc(size, sent / (1024 * 1024)));
      sent += size;
    },
  });
}

// Collected before each sample, so a sample counts the buffers still held, not garbage.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

/**
 * The most buffer memory (beyond what was held before) still in use at any sample during `work`.
 * Samples are a quarter second apart: a collection each time is slow, and a store that holds a
 * whole file holds it for far longer than that.
 */
async function peakExtraMemory<T>(work: () => Promise<T>): Promise<{ result: T; peak: number }> {
  collect();
  const baseline = process.memoryUsage().arrayBuffers;
  let peak = 0;
  const sampler = setInterval(() => {
    collect();
    peak = Math.max(peak, process.memoryUsage().arrayBuffers - baseline);
  }, 250);
  try {
    return { result: await work(), peak };
  } finally {
    clearInterval(sampler);
  }
}

export function blobStoreSuite(name: string, open: () => Promise<SuiteBackend>): void {
  describe(`BlobStore behaviour: ${name}`, () => {
    let backend: SuiteBackend;
    let store: BlobStore;
    const scratch = tempDir('modelgate-blob-suite-');
    let n = 0;
    const freshKey = (extension = 'png') => `outputs/job-${process.pid}-${n++}/1-${randomBytes(4).toString('hex')}/0.${extension}`;

    before(async () => {
      backend = await open();
      store = backend.store;
    });
    after(async () => {
      await backend.close();
      scratch.remove();
    });

    test('a Buffer put is read back whole, with its size and content type', async () => {
      const key = freshKey();
      const bytes = randomBytes(3000);
      assert.deepEqual(await store.put(key, bytes, 'image/png'), { size: 3000 });
      assert.deepEqual(await buffer(await store.read(key)), bytes);
      const info = await store.head(key);
      assert.equal(info?.size, 3000);
      assert.equal(info?.contentType, 'image/png');
      assert.match(info?.etag ?? '', /^"[^"]+"$/);
    });

    test('a stream and a file path are stored as well, sizes counted', async () => {
      const streamed = freshKey('mp4');
      assert.deepEqual(await store.put(streamed, Readable.from([Buffer.from('abc'), Buffer.from('defg')]), 'video/mp4'), { size: 7 });
      assert.equal(await text(await store.read(streamed)), 'abcdefg');
      assert.equal((await store.head(streamed))?.contentType, 'video/mp4');
      const path = join(scratch.path, 'source.webp');
      writeFileSync(path, 'from a file');
      const fromFile = freshKey('webp');
      assert.deepEqual(await store.put(fromFile, { path }, 'image/webp'), { size: 11 });
      assert.equal(await text(await store.read(fromFile)), 'from a file');
      assert.equal((await store.head(fromFile))?.contentType, 'image/webp');
    });

    test('a blob larger than a part goes up in parts, without being held in memory whole', async (t) => {
      const key = freshKey('mp4');
      const total = backend.largeBytes;
      assert.ok(backend.memoryBound < total * 0.75, 'the bound is one a whole-file buffer would break');
      const partsBefore = backend.partsUploaded?.() ?? 0;
      const { result, peak } = await peakExtraMemory(() => store.put(key, generated(total), 'video/mp4'));
      assert.deepEqual(result, { size: total });
      const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
      t.diagnostic(`peak extra buffer memory ${mib(peak)} storing ${mib(total)} (bound ${mib(backend.memoryBound)})`);
      assert.ok(peak < backend.memoryBound, `held ${mib(peak)} at once while storing ${mib(total)} (bound ${mib(backend.memoryBound)})`);
      if (backend.partsUploaded) assert.ok(backend.partsUploaded() - partsBefore >= 2, 'stored as a multipart upload');
      assert.equal((await store.head(key))?.size, total);
      // Spot-check the bytes at a part boundary and at the end, by range.
      const MiB = 2 ** 20;
      const tail = await buffer(await store.read(key, { start: total - 2, end: total - 1 }));
      assert.deepEqual(tail, Buffer.alloc(2, Math.floor((total - 1) / MiB)));
      const edge = await buffer(await store.read(key, { start: 5 * MiB - 1, end: 5 * MiB }));
      assert.deepEqual(edge, Buffer.from([4, 5]));
    });

    test('a byte range reads exactly those bytes, end inclusive', async () => {
      const key = freshKey();
      await store.put(key, Buffer.from('0123456789'), 'image/png');
      assert.equal(await text(await store.read(key, { start: 2, end: 5 })), '2345');
      assert.equal(await text(await store.read(key, { start: 9, end: 9 })), '9');
    });

    test('url(key) is the backend\'s URL for the key', () => {
      const key = freshKey();
      assert.equal(store.url(key), backend.expectedUrl(key));
    });

    test('localFile gives a readable file with the blob\'s bytes', async () => {
      const key = freshKey();
      const bytes = randomBytes(1000);
      await store.put(key, bytes, 'image/png');
      const path = await store.localFile(key, scratch.path);
      assert.deepEqual(readFileSync(path), bytes);
      assert.match(path, /\.png$/);
    });

    test('delete removes a blob, and deleting it again is no error', async () => {
      const key = freshKey();
      await store.put(key, Buffer.from('x'), 'image/png');
      await store.delete(key);
      assert.equal(await store.head(key), undefined);
      await assert.rejects(store.read(key), BlobNotFoundError);
      await store.delete(key);
    });

    test('a missing key: head is undefined, read and localFile throw BlobNotFoundError', async () => {
      const key = freshKey();
      assert.equal(await store.head(key), undefined);
      await assert.rejects(store.read(key), BlobNotFoundError);
      await assert.rejects(store.localFile(key, scratch.path), BlobNotFoundError);
    });

    test('a key that could climb out of the store is refused by every operation', async () => {
      for (const key of ['../outside.png', 'outputs/../../x.png', '/absolute.png', 'outputs//x.png', '.hidden', 'outputs/./x.png']) {
        await assert.rejects(store.put(key, Buffer.from('x'), 'image/png'), /unsafe blob key/, key);
        await assert.rejects(store.read(key), /unsafe blob key/, key);
        await assert.rejects(store.head(key), /unsafe blob key/, key);
        await assert.rejects(store.delete(key), /unsafe blob key/, key);
        assert.throws(() => store.url(key), /unsafe blob key/, key);
      }
    });

    test('a source that fails midway fails the put and leaves no blob', async () => {
      const key = freshKey();
      const failing = new Readable({
        read() {
          this.push(Buffer.alloc(1024, 1));
          this.destroy(new Error('source broke'));
        },
      });
      await assert.rejects(store.put(key, failing, 'image/png'), /source broke/);
      assert.equal(await store.head(key), undefined);
    });

    test('concurrent puts of different keys all land intact', async () => {
      const blobs = Array.from({ length: 12 }, () => ({ key: freshKey(), bytes: randomBytes(20_000) }));
      await Promise.all(blobs.map(({ key, bytes }) => store.put(key, Readable.from([bytes]), 'image/png')));
      for (const { key, bytes } of blobs) assert.deepEqual(await buffer(await store.read(key)), bytes);
    });

    test('list gives every key under a prefix, and none outside it', async () => {
      const folder = `outputs/list-${process.pid}-${n++}`;
      const keys = [`${folder}/1-aa/0.png`, `${folder}/1-aa/1.png`, `${folder}/2-bb/0.png`];
      for (const key of keys) await store.put(key, Buffer.from('x'), 'image/png');
      await store.put(`uploads/list-${n}/f.png`, Buffer.from('x'), 'image/png');
      const listed: string[] = [];
      for await (const key of store.list(`${folder}/`)) listed.push(key);
      assert.deepEqual(listed.sort(), keys);
    });
  });
}
