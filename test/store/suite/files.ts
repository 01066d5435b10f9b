/** Uploaded files: stored once with their measures, read back only by their owner. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FileRecord } from '../../../src/store/store.ts';
import { newJob, OTHER_OWNER, OWNER, T0, type SuiteContext } from './support.ts';

function fileRecord(overrides: Partial<FileRecord> = {}): FileRecord {
  return {
    id: 'file_0123456789abcdef',
    ownerKeyId: OWNER,
    blobKey: 'uploads/file_0123456789abcdef/abc/file.png',
    kind: 'image',
    contentType: 'image/png',
    sizeBytes: 5_000_000_123,
    sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    width: 7999,
    height: 4000,
    durationSeconds: null,
    createdAt: T0,
    expiresAt: T0 + 86_400_000,
    ...overrides,
  };
}

export function fileTests(ctx: SuiteContext): void {
  test('files: a stored upload reads back exactly, large sizes included, and only for its owner', async () => {
    const { store, another } = await ctx.fresh();
    const image = fileRecord();
    const video = fileRecord({ id: 'file_video', kind: 'video', contentType: 'video/mp4', width: 1280, height: 768, durationSeconds: 5.04 });
    await store.insertFile(image);
    await store.insertFile(video);
    const second = await another();
    assert.deepEqual(await second.getFile(image.id, OWNER), image);
    assert.deepEqual(await second.getFile(video.id, OWNER), video);
    assert.equal(await second.getFile(image.id, OTHER_OWNER), undefined);
    assert.equal(await second.getFile('file_missing', OWNER), undefined);
  });

  test('files: ids are unique', async () => {
    const { store } = await ctx.fresh();
    await store.insertFile(fileRecord());
    await assert.rejects(store.insertFile(fileRecord({ ownerKeyId: OTHER_OWNER })));
  });

  test('files: deleteExpiredFiles removes only expired files, oldest first, in batches, and returns them', async () => {
    const { store, another } = await ctx.fresh();
    for (let i = 0; i < 5; i++) await store.insertFile(fileRecord({ id: `file_exp${i}`, expiresAt: T0 + i }));
    await store.insertFile(fileRecord({ id: 'file_live', expiresAt: T0 + 10_000 }));
    const first = await store.deleteExpiredFiles(T0 + 4, 3);
    assert.deepEqual(first.map((f) => f.id), ['file_exp0', 'file_exp1', 'file_exp2']);
    assert.equal(first[0]!.blobKey, fileRecord().blobKey);
    const rest = await (await another()).deleteExpiredFiles(T0 + 4, 3);
    assert.deepEqual(rest.map((f) => f.id).sort(), ['file_exp3', 'file_exp4']);
    assert.deepEqual(await store.deleteExpiredFiles(T0 + 4, 3), []);
    assert.equal(await store.getFile('file_exp0', OWNER), undefined);
    assert.ok(await store.getFile('file_live', OWNER));
  });

  test('claims tell the worker which key owns the job (for its uploads)', async () => {
    const { store } = await ctx.fresh();
    await store.insertJob(newJob({ ownerKeyId: OTHER_OWNER }));
    const claimed = await store.claimNext('w', 1000, T0);
    assert.equal(claimed?.ownerKeyId, OTHER_OWNER);
  });
}
