/**
 * What an S3 error means to the rest of ModelGate. A missing object is BlobNotFoundError (the API
 * answers 404001, a job's upload input "not found"). A server that cannot be reached, times out,
 * throttles or fails on its side is a StorageFaultError: the worker requeues the attempt with a
 * back-off and the API answers 503002, as for a full disk or a database that is down. Anything
 * else (access denied, no such bucket) is a configuration mistake and stays as the SDK threw it,
 * so it is logged with the SDK's own words.
 */
import { StorageFaultError } from '../../store/storage-fault.ts';
import { BlobNotFoundError } from '../blob-store.ts';

interface SdkError {
  name?: unknown;
  code?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** Errors of the socket under the SDK (node's http), which the SDK passes on after its retries. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);
/** S3's names for "try again later", and the SDK's for a request that ran out of time. */
const TRANSIENT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeTooSkewed', 'SlowDown', 'ServiceUnavailable', 'InternalError', 'ThrottlingException']);

export function isMissingObject(error: unknown): boolean {
  const { name, $metadata } = (error ?? {}) as SdkError;
  // HEAD answers carry no body, so a missing object there is only a bare 404 named NotFound.
  return name === 'NoSuchKey' || name === 'NotFound' || (name !== 'NoSuchBucket' && $metadata?.httpStatusCode === 404);
}

export function isUnreachable(error: unknown): boolean {
  const { name, code, $metadata } = (error ?? {}) as SdkError;
  const status = $metadata?.httpStatusCode ?? 0;
  return (typeof code === 'string' && NETWORK_CODES.has(code)) || (typeof name === 'string' && TRANSIENT_NAMES.has(name)) || status >= 500 || status === 429;
}

/** The error to throw in place of an SDK error about `key`. */
export function s3Error(error: unknown, key: string): unknown {
  if (isMissingObject(error)) return new BlobNotFoundError(key);
  if (isUnreachable(error)) return new StorageFaultError(error, 'the object storage could not be reached');
  return error;
}
