/**
 * The BlobStore seam: where outputs and uploads live, and the URL a client fetches an output
 * from. Local disk (local/) is the embedded backend; S3-compatible object storage (s3/) is the
 * other. Keys are paths like `outputs/<request id>/<attempt>-<token>/0.png`. Every backend
 * passes test/blobs/blob-store-suite.ts.
 */
import type { Readable } from 'node:stream';

export type BlobSource = Buffer | Readable | { path: string };

/** Differences between backends, read by the code that branches on them (never `instanceof`). */
export interface BlobStoreCapabilities {
  /**
   * The folder that holds the blobs as files, where there is one (local disk): the API then serves
   * outputs from it with @fastify/static, and the orphan reaper removes whole attempt folders
   * (half-written `.partial` files and empty folders included). Undefined where blobs live
   * elsewhere (object storage): the API streams them through `read`, the reaper works on `list`.
   */
  localFolder: string | undefined;
}

/** What a backend knows of a stored blob without reading it. */
export interface BlobInfo {
  size: number;
  contentType: string;
  /** A strong validator of the bytes, quoted as HTTP sends it. */
  etag: string;
  lastModified: Date;
}

/** Inclusive byte offsets, already checked against the blob's size by the caller. */
export interface ByteRange {
  start: number;
  end: number;
}

/** The blob is not there (never written, deleted, or expired): the API answers 404001. */
export class BlobNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`no blob under key ${JSON.stringify(key)}`);
    this.name = 'BlobNotFoundError';
  }
}

export interface BlobStore {
  readonly capabilities: BlobStoreCapabilities;
  /**
   * Stores a blob under a key, atomically: a reader sees the whole blob or none of it. Streams:
   * no backend holds a whole file in memory.
   */
  put(key: string, source: BlobSource, contentType: string): Promise<{ size: number }>;
  /** The absolute URL a client can GET the blob from. */
  url(key: string): string;
  /**
   * A local file holding the blob's bytes, for reading only: the blob itself where it already
   * is a file (local disk), or a copy streamed into `scratchDir` (object storage).
   */
  localFile(key: string, scratchDir: string): Promise<string>;
  /** Removes a blob; removing one that is not there is not an error. */
  delete(key: string): Promise<void>;
  /** The blob's size, type and validator, or undefined when there is no such blob. */
  head(key: string): Promise<BlobInfo | undefined>;
  /** Opens the blob (or one byte range of it) for streaming; BlobNotFoundError when absent. */
  read(key: string, range?: ByteRange): Promise<Readable>;
  /**
   * Every key that starts with `prefix`, for housekeeping. The keys under one folder come
   * together (a depth-first walk; S3's lexicographic order), so a caller can work folder by folder.
   */
  list(prefix: string): AsyncIterable<string>;
  close(): Promise<void>;
}

const SAFE_KEY = /^(?!.*(?:^|\/)\.{1,2}(?:\/|$))[A-Za-z0-9][A-Za-z0-9._\/-]*$/;

/** Whether a key is one we could have made: no `..`, no `//`, no leading dot or slash. */
export function isSafeKey(key: string): boolean {
  return SAFE_KEY.test(key) && !key.includes('//');
}

/** Keys are made by us, but a key that could climb out of the root is refused all the same. */
export function assertSafeKey(key: string): void {
  if (!isSafeKey(key)) throw new Error(`unsafe blob key: ${JSON.stringify(key)}`);
}
