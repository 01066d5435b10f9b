/** Blobs as files under <data dir>/blobs, served by the API at /v1/blobs/<key>. */
import { randomUUID } from 'node:crypto';
import { createWriteStream, type Dirent } from 'node:fs';
import { copyFile, mkdir, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertSafeKey, BlobNotFoundError, type BlobInfo, type BlobSource, type BlobStore, type BlobStoreCapabilities, type ByteRange } from '../blob-store.ts';
import { contentTypeOfKey } from '../content-types.ts';

export const LOCAL_BLOB_ROUTE = '/v1/blobs/';
const PARTIAL = '.partial';

const isMissing = (error: unknown) => ['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '');

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
    const temporary = `${target}.${randomUUID()}${PARTIAL}`;
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
    if (!(await this.head(key))) throw new BlobNotFoundError(key);
    return join(this.root, key);
  }

  async delete(key: string): Promise<void> {
    assertSafeKey(key);
    await rm(join(this.root, key), { force: true });
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    assertSafeKey(key);
    try {
      const info = await stat(join(this.root, key));
      if (!info.isFile() || key.endsWith(PARTIAL)) return undefined;
      // The same shape of validator @fastify/static sends for these files: size and mtime.
      return { size: info.size, contentType: contentTypeOfKey(key), etag: `"${info.size.toString(16)}-${info.mtimeMs.toString(16)}"`, lastModified: info.mtime };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    assertSafeKey(key);
    if (key.endsWith(PARTIAL)) throw new BlobNotFoundError(key);
    // Opened here rather than by the stream, so a missing file is an error of this call, not an
    // event on a stream that may already be half piped into a response.
    const handle = await open(join(this.root, key)).catch((error: unknown) => {
      throw isMissing(error) ? new BlobNotFoundError(key) : error;
    });
    if (!(await handle.stat()).isFile()) {
      await handle.close();
      throw new BlobNotFoundError(key);
    }
    return handle.createReadStream(range ? { start: range.start, end: range.end } : {});
  }

  async *list(prefix: string): AsyncIterable<string> {
    // Walked from the deepest folder the prefix names, so listing `outputs/` never reads uploads/.
    const folder = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    if (folder !== '') assertSafeKey(folder.slice(0, -1));
    for await (const key of this.walk(folder)) if (key.startsWith(prefix)) yield key;
  }

  /** Files under a folder (`''` or ending in `/`), as keys; half-written files are not blobs yet. */
  private async *walk(folder: string): AsyncIterable<string> {
    let entries: Dirent[];
    try {
      entries = await readdir(join(this.root, folder), { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    for (const entry of entries) {
      const key = `${folder}${entry.name}`;
      if (entry.isDirectory()) yield* this.walk(`${key}/`);
      else if (entry.isFile() && !entry.name.endsWith(PARTIAL)) yield key;
    }
  }

  async close(): Promise<void> {}
}
