/**
 * Blobs as objects in an S3-compatible bucket (AWS S3, MinIO, R2, …), under a key prefix. Writes
 * stream through lib-storage's Upload: one PUT for a small blob, a multipart upload above the part
 * size, never more than `queueSize` parts in memory, and an object that appears only when whole
 * (S3 publishes an object at the end of its PUT or multipart completion). Outputs keep
 * ModelGate's own URLs, served by the API's /v1/blobs/ route through `read`, unless a public base
 * URL (the bucket's website or a CDN) is configured.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { assertSafeKey, type BlobInfo, type BlobSource, type BlobStore, type BlobStoreCapabilities, type ByteRange } from '../blob-store.ts';
import { LOCAL_BLOB_ROUTE } from '../local/local-blob-store.ts';
import { contentTypeOfKey } from '../content-types.ts';
import { isMissingObject, s3Error } from './s3-errors.ts';

export interface S3BlobStoreOptions {
  client: S3Client;
  bucket: string;
  /** `''` or ending in `/`. */
  prefix: string;
  /** ModelGate's public URL: output URLs are `<publicUrl>/v1/blobs/<key>` by default. */
  publicUrl: string;
  /** The bucket's or a CDN's URL: output URLs are `<publicBaseUrl>/<prefix><key>` instead. */
  publicBaseUrl: string | undefined;
  /** Bytes per multipart part (S3's minimum is 5 MiB). */
  partSize?: number;
  /** Parts uploaded at once, so at most this many parts are held in memory. */
  queueSize?: number;
}

const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
const DEFAULT_QUEUE_SIZE = 4;

export class S3BlobStore implements BlobStore {
  readonly capabilities: BlobStoreCapabilities = { localFolder: undefined };
  /** The SDK client, for tests that watch its commands. */
  readonly client: S3Client;
  private readonly bucket: string;

  constructor(private readonly options: S3BlobStoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
  }

  private objectKey(key: string): string {
    assertSafeKey(key);
    return `${this.options.prefix}${key}`;
  }

  async put(key: string, source: BlobSource, contentType: string): Promise<{ size: number }> {
    const Key = this.objectKey(key);
    let size = 0;
    let body: Buffer | Readable;
    if (Buffer.isBuffer(source)) {
      body = source;
      size = source.length;
    } else {
      // Counted as it passes, so the size needs neither a stat of a stream nor a HEAD afterwards.
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          size += chunk.length;
          done(null, chunk);
        },
      });
      const input = 'path' in source ? createReadStream(source.path) : source;
      // A source that fails destroys the counter with its error, which fails the Upload.
      pipeline(input, counter).catch(() => {});
      body = counter;
    }
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key, Body: body, ContentType: contentType },
      partSize: this.options.partSize ?? DEFAULT_PART_SIZE,
      queueSize: this.options.queueSize ?? DEFAULT_QUEUE_SIZE,
      // A failed multipart upload is aborted, so its parts do not linger (and cost) in the bucket.
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      throw s3Error(error, key);
    }
    return { size };
  }

  url(key: string): string {
    const objectKey = this.objectKey(key);
    const base = this.options.publicBaseUrl;
    return base === undefined ? `${this.options.publicUrl}${LOCAL_BLOB_ROUTE}${key}` : `${base}/${objectKey}`;
  }

  async localFile(key: string, scratchDir: string): Promise<string> {
    // The extension is kept: probes (ffprobe) and engines may go by it.
    const target = join(scratchDir, `blob-${randomUUID()}${extname(key)}`);
    await pipeline(await this.read(key), createWriteStream(target));
    return target;
  }

  async delete(key: string): Promise<void> {
    const Key = this.objectKey(key);
    try {
      // S3 answers 204 whether or not the object was there.
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }));
    } catch (error) {
      if (!isMissingObject(error)) throw s3Error(error, key);
    }
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    const Key = this.objectKey(key);
    try {
      const answer = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }));
      return {
        size: answer.ContentLength ?? 0,
        contentType: answer.ContentType ?? contentTypeOfKey(key),
        etag: answer.ETag ?? `"${answer.ContentLength ?? 0}"`,
        lastModified: answer.LastModified ?? new Date(0),
      };
    } catch (error) {
      if (isMissingObject(error)) return undefined;
      throw s3Error(error, key);
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const Key = this.objectKey(key);
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key, ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }));
      // In Node the SDK's body is the HTTP response stream itself (an IncomingMessage).
      if (!(answer.Body instanceof Readable)) throw new Error('the S3 client returned a body that is not a Node stream');
      return answer.Body;
    } catch (error) {
      throw s3Error(error, key);
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    const strip = this.options.prefix.length;
    try {
      for await (const page of paginateListObjectsV2({ client: this.client }, { Bucket: this.bucket, Prefix: `${this.options.prefix}${prefix}` })) {
        for (const object of page.Contents ?? []) if (object.Key !== undefined) yield object.Key.slice(strip);
      }
    } catch (error) {
      throw s3Error(error, prefix);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
