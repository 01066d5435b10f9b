/** Blobs as files under <data dir>/blobs, served by the API at /v1/blobs/<key>. */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertSafeKey, type BlobSource, type BlobStore, type BlobStoreCapabilities } from '../blob-store.ts';

export const LOCAL_BLOB_ROUTE = '/v1/blobs/';

export class LocalBlobStore implements BlobStore {
  readonly capabilities: BlobStoreCapabilities;

  constructor(
    readonly root: string,
    private readonly publicUrl: string,
  ) {
    this.capabilities = { localFolder: root };
  }

  async put(key: string, source: BlobSource, _contentType: string): Promise<{ size: number }> {
    assertSafeKey(key);
    const target = join(this.root, key);
    await mkdir(dirname(target), { recursive: true });
    // Written beside the target and renamed, so a half-written file is never served.
    const temporary = `${target}.${randomUUID()}.partial`;
    try {
      if (Buffer.isBuffer(source)) await writeFile(temporary, source);
      else if ('path' in source) await copyFile(source.path, temporary);
      else await pipeline(source, createWriteStream(temporary));
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    // A buffer's size is known; only a copied or streamed file needs a stat to learn it.
    return { size: Buffer.isBuffer(source) ? source.length : (await stat(target)).size };
  }

  url(key: string): string {
    assertSafeKey(key);
    return `${this.publicUrl}${LOCAL_BLOB_ROUTE}${key}`;
  }

  async localFile(key: string, _scratchDir: string): Promise<string> {
    assertSafeKey(key);
    return join(this.root, key);
  }

  async delete(key: string): Promise<void> {
    assertSafeKey(key);
    await rm(join(this.root, key), { force: true });
  }

  read(key: string): Readable {
    assertSafeKey(key);
    return createReadStream(join(this.root, key));
  }

  async close(): Promise<void> {}
}
