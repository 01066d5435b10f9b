/**
 * The blob store a process uses: the bucket of MODELGATE_S3_URL when set, else <data dir>/blobs.
 * The AWS SDK is imported only when a bucket is configured: it costs start-up time, and on Node 20
 * it prints a support warning to every process's stderr.
 */
import { join } from 'node:path';
import type { Config } from '../config.ts';
import type { BlobStore } from './blob-store.ts';
import { LocalBlobStore } from './local/local-blob-store.ts';

export async function createBlobStore(config: Pick<Config, 'dataDir' | 'publicUrl' | 's3'>): Promise<BlobStore> {
  const { s3 } = config;
  if (s3 === undefined) return new LocalBlobStore(join(config.dataDir, 'blobs'), config.publicUrl);
  const [{ createS3Client }, { S3BlobStore }] = await Promise.all([import('./s3/s3-client.ts'), import('./s3/s3-blob-store.ts')]);
  // Endpoint, region and credentials: the SDK's own variables and chain (AWS_ENDPOINT_URL_S3, …).
  const client = createS3Client({ forcePathStyle: s3.forcePathStyle, timeoutMs: s3.timeoutMs });
  return new S3BlobStore({ client, bucket: s3.bucket, prefix: s3.prefix, publicUrl: config.publicUrl, publicBaseUrl: s3.publicBaseUrl });
}
