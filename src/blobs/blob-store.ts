/**
 * The BlobStore seam: where output files live and the URL a client fetches them from. Local disk
 * is the embedded backend; an S3-compatible backend implements the same interface with
 * presigned URLs. Keys are paths like `outputs/<request id>/<attempt>-<token>/0.png`.
 */
import type { Readable } from 'node:stream';

export type BlobSource = Buffer | Readable | { path: string };

/** Differences between backends, read by the code that branches on them (never `instanceof`). */
export interface BlobStoreCapabilities {
  /**
   * The folder that holds the blobs as files, where there is one (local disk): the API then serves
   * outputs itself at /v1/blobs/, and the orphan reaper lists it. Undefined where blobs live
   * elsewhere and URLs point there (object storage).
   */
  localFolder: string | undefined;
}

export interface BlobStore {
  readonly capabilities: BlobStoreCapabilities;
  /** Stores a blob under a key, atomically: a reader sees the whole file or none of it. */
  put(key: string, source: BlobSource, contentType: string): Promise<{ size: number }>;
  /** The absolute URL a client can GET the blob from. */
  url(key: string): string;
  /**
   * A local file holding the blob's bytes, for reading only: the blob itself where it already
   * is a file (local disk), or a copy written into `scratchDir` (object storage).
   */
  localFile(key: string, scratchDir: string): Promise<string>;
  /** Removes a blob; removing one that is not there is not an error. */
  delete(key: string): Promise<void>;
  /** Opens the blob for streaming to a client. */
  read(key: string): Readable;
  close(): Promise<void>;
}

const SAFE_KEY = /^(?!.*(?:^|\/)\.{1,2}(?:\/|$))[A-Za-z0-9][A-Za-z0-9._\/-]*$/;

/** Keys are made by us, but a key that could climb out of the root is refused all the same. */
export function assertSafeKey(key: string): void {
  if (!SAFE_KEY.test(key) || key.includes('//')) throw new Error(`unsafe blob key: ${JSON.stringify(key)}`);
}
