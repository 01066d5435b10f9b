/**
 * The S3 client every S3 blob store uses. Endpoint, region and credentials come from the AWS
 * SDK's own chain unless given (tests pass s3rver's). Checksums only where S3 requires them: the
 * SDK's default since 3.729 adds CRC32 trailers to every upload, which MinIO, Ceph and other
 * S3-compatible servers of older releases refuse, and which copied each part in memory once more.
 */
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

export function createS3Client(options: { forcePathStyle: boolean } & Pick<S3ClientConfig, 'endpoint' | 'region' | 'credentials' | 'maxAttempts'>): S3Client {
  return new S3Client({ ...options, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
}
