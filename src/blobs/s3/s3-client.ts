/**
 * The S3 client every S3 blob store uses. Endpoint, region and credentials come from the AWS
 * SDK's own chain unless given (tests pass s3rver's). Checksums only where S3 requires them: the
 * SDK's default since 3.729 adds CRC32 trailers to every upload, which MinIO, Ceph and other
 * S3-compatible servers of older releases refuse, and which copied each part in memory once more.
 */
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { DEFAULT_S3_TIMEOUT_MS } from './s3-settings.ts';

/** Connecting never takes longer than this, whatever MODELGATE_S3_TIMEOUT_MS says. */
const MAX_CONNECT_TIMEOUT_MS = 10_000;

export interface S3ClientOptions extends Pick<S3ClientConfig, 'endpoint' | 'region' | 'credentials' | 'maxAttempts'> {
  forcePathStyle: boolean;
  /** MODELGATE_S3_TIMEOUT_MS; default 30 s. */
  timeoutMs?: number;
}

/**
 * The SDK's HTTP handler waits forever by default: a bucket cut off without a reset (a
 * partition, a dead load balancer) would hold an upload, and with it a running job, or a
 * download the API streams, for as long as the process lives. Here connecting is bounded, and so
 * is silence on an open connection (socketTimeout: no byte either way for that long), which
 * fails the request as a TimeoutError, a storage fault (s3-errors.ts), after the SDK's retries.
 * No bound on a whole request: a large part on a slow link may take long while bytes move.
 */
export function createS3Client({ timeoutMs = DEFAULT_S3_TIMEOUT_MS, ...options }: S3ClientOptions): S3Client {
  return new S3Client({
    ...options,
    requestHandler: { connectionTimeout: Math.min(timeoutMs, MAX_CONNECT_TIMEOUT_MS), socketTimeout: timeoutMs },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
