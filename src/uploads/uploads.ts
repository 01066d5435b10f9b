/**
 * Uploaded files (POST /v1/files, and data: URIs stored at submit): saved to the blob store,
 * measured once, owned by the key that sent them, and usable as a file input by that key
 * through their URL `<public url>/v1/files/<file id>` until they expire.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobStore } from '../blobs/blob-store.ts';
import type { FileKind } from '../catalog/types.ts';
import type { Config } from '../config.ts';
import { InputError } from '../inputs/errors.ts';
import { inspectFile } from '../inputs/inspect-file.ts';
import type { MeasuredFile, ResolvedInput } from '../inputs/measured-file.ts';
import type { UploadLookup } from '../inputs/resolve-file.ts';
import type { FileRecord, Store } from '../store/store.ts';

export const UPLOAD_ROUTE = '/v1/files/';
const FILE_ID = /^file_[0-9a-f]{24}$/;

/**
 * The blob of a data: URI stored at submit is named `data.<ext>` (an upload's is `file.<ext>`):
 * its URL was never given to the client, only written into one job's input, so that job owns it
 * and deleting the job (DELETE /v1/requests/{id}, retention) deletes it too.
 */
const DATA_URI_FILE_NAME = 'data';

/** Whether an upload record holds a data: URI that one job's submit stored (jobs/deletion.ts removes it with the job). */
export function isStoredDataUri(record: FileRecord): boolean {
  return record.blobKey.slice(record.blobKey.lastIndexOf('/') + 1).startsWith(`${DATA_URI_FILE_NAME}.`);
}


export class Uploads {
  constructor(
    private readonly store: Store,
    private readonly blobs: BlobStore,
    private readonly config: Pick<Config, 'publicUrl' | 'dataDir' | 'inputs' | 'uploadRetentionMs'>,
  ) {}

  private get urlBase(): string {
    return `${this.config.publicUrl}${UPLOAD_ROUTE}`;
  }

  urlFor(id: string): string {
    return `${this.urlBase}${id}`;
  }

  /** The largest upload of any kind; the kind's own cap is checked once the type is known. */
  get maxBytes(): number {
    return Math.max(this.config.inputs.limits.maxImageBytes, this.config.inputs.limits.maxVideoBytes);
  }

  maxBytesFor(kind: FileKind): number {
    return kind === 'image' ? this.config.inputs.limits.maxImageBytes : this.config.inputs.limits.maxVideoBytes;
  }

  /** A new private scratch directory under the data folder; the caller removes it. */
  async scratchDir(): Promise<string> {
    const root = join(this.config.dataDir, 'tmp');
    await mkdir(root, { recursive: true });
    return mkdtemp(join(root, 'upload-'));
  }

  /**
   * Streams an upload to a scratch file (the caller's stream enforces the byte cap), measures
   * it and stores it. Throws InputError when the content is not an accepted image or video.
   */
  async saveStream(ownerKeyId: string, source: Readable, wasTruncated: () => boolean = () => false): Promise<FileRecord> {
    const dir = await this.scratchDir();
    const scratch = join(dir, 'upload');
    const hash = createHash('sha256');
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(source, hashing, createWriteStream(scratch));
      // A multipart parser stops at its byte cap and ends the stream quietly: what arrived is
      // a fragment, to be refused as too large rather than judged by its content.
      if (wasTruncated()) throw new InputError('too_large', `uploads are limited to ${this.maxBytes} bytes`);
      const inspected = await inspectFile(scratch, { maxPixels: this.config.inputs.limits.maxPixels, probeTimeoutMs: this.config.inputs.limits.probeTimeoutMs });
      return await this.persist(ownerKeyId, scratch, inspected, hash.digest('hex'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Stores a file that is already measured (a data: URI resolved at submit). */
  async saveResolved(ownerKeyId: string, file: ResolvedInput): Promise<FileRecord> {
    const hash = createHash('sha256');
    await pipeline(createReadStream(file.path), hash);
    return this.persist(ownerKeyId, file.path, { ...file, extension: file.path.replace(/^.*\./, '') }, hash.digest('hex'), DATA_URI_FILE_NAME);
  }

  private async persist(ownerKeyId: string, path: string, inspected: MeasuredFile & { extension: string }, sha256: string, name = 'file'): Promise<FileRecord> {
    if (inspected.sizeBytes > this.maxBytesFor(inspected.kind)) {
      throw new InputError('too_large', `${inspected.kind} uploads are limited to ${this.maxBytesFor(inspected.kind)} bytes`);
    }
    const id = `file_${randomBytes(12).toString('hex')}`;
    // The random segment keeps blob URLs unguessable even to someone who knows the file id.
    const blobKey = `uploads/${id}/${randomBytes(16).toString('hex')}/${name}.${inspected.extension}`;
    await this.blobs.put(blobKey, { path }, inspected.contentType);
    const now = Date.now();
    const record: FileRecord = {
      id,
      ownerKeyId,
      blobKey,
      kind: inspected.kind,
      contentType: inspected.contentType,
      sizeBytes: inspected.sizeBytes,
      sha256,
      width: inspected.width ?? null,
      height: inspected.height ?? null,
      durationSeconds: inspected.durationSeconds ?? null,
      createdAt: now,
      expiresAt: now + this.config.uploadRetentionMs,
    };
    await this.store.insertFile(record);
    return record;
  }

  async find(ownerKeyId: string, id: string, now = Date.now()): Promise<FileRecord | undefined> {
    if (!FILE_ID.test(id)) return undefined;
    const record = await this.store.getFile(id, ownerKeyId);
    return record && record.expiresAt > now ? record : undefined;
  }

  /** The file id named by one of our upload URLs, or undefined for any other value. */
  idOf(value: string): string | undefined {
    return value.startsWith(this.urlBase) ? value.slice(this.urlBase.length) : undefined;
  }

  /**
   * Resolves upload URLs for the input library: ours and the key's own, or refused without any
   * network access; any other value is left for the fetcher.
   */
  lookupFor(ownerKeyId: string, scratchDir: string): UploadLookup {
    return async (value) => {
      const id = this.idOf(value);
      if (id === undefined) return undefined;
      const record = await this.find(ownerKeyId, id);
      if (!record) throw new InputError('upload_not_found', 'the uploaded file was not found, has expired, or belongs to another API key');
      return { path: await this.blobs.localFile(record.blobKey, scratchDir) };
    };
  }
}
