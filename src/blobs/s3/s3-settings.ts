/**
 * Object storage settings: MODELGATE_S3_URL=s3://bucket[/prefix] turns it on. Only where the
 * blobs go is ModelGate's configuration; the endpoint, region and credentials are the AWS SDK's
 * own (AWS_ENDPOINT_URL_S3, AWS_REGION, AWS_ACCESS_KEY_ID, profiles, instance roles…), read by
 * the SDK's default chain so that every deployment recipe written for it applies unchanged.
 */
import { ConfigError } from '../../config-error.ts';
import { integerSetting } from '../../integer-setting.ts';
import { isSafeKey } from '../blob-store.ts';

export interface S3Settings {
  bucket: string;
  /** Put before every key: `''`, or segments ending in `/` (`modelgate/`). */
  prefix: string;
  /** MODELGATE_S3_FORCE_PATH_STYLE=1: `endpoint/bucket/key` URLs, as MinIO and most non-AWS servers want. */
  forcePathStyle: boolean;
  /**
   * MODELGATE_S3_PUBLIC_BASE_URL: output URLs become `<base>/<prefix><key>` (the bucket's own
   * or a CDN's) instead of ModelGate's `/v1/blobs/<key>`. No trailing slash.
   */
  publicBaseUrl: string | undefined;
  /**
   * MODELGATE_S3_TIMEOUT_MS: how long a connection to the bucket may stay silent (connecting, or
   * mid-transfer) before the request fails as a storage fault (s3-client.ts).
   */
  timeoutMs: number;
}

/** MODELGATE_S3_TIMEOUT_MS unset; also what createS3Client uses when not told (s3-client.ts). */
export const DEFAULT_S3_TIMEOUT_MS = 30_000;

type Env = Record<string, string | undefined>;

/** S3's bucket naming rule (lower case, digits, dots and hyphens, 3–63 characters). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function flag(env: Env, name: string): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '' || raw === '0' || raw === 'false' || raw === 'no') return false;
  if (raw === '1' || raw === 'true' || raw === 'yes') return true;
  throw new ConfigError(name, `must be 1 or 0, got ${JSON.stringify(env[name])}`);
}

function location(raw: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(raw);
  const bucket = match?.[1] ?? '';
  const prefix = (match?.[2] ?? '').replace(/\/+$/, '');
  if (!match || !BUCKET.test(bucket)) {
    throw new ConfigError('MODELGATE_S3_URL', `must be s3://<bucket>[/<prefix>] with a valid bucket name, got ${JSON.stringify(raw)}`);
  }
  if (prefix !== '' && !isSafeKey(prefix)) {
    throw new ConfigError('MODELGATE_S3_URL', `has a prefix that is not a plain path (letters, digits, . _ - and single slashes; no . or .. segments): ${JSON.stringify(prefix)}`);
  }
  return { bucket, prefix: prefix === '' ? '' : `${prefix}/` };
}

function publicBaseUrl(env: Env): string | undefined {
  const raw = (env.MODELGATE_S3_PUBLIC_BASE_URL ?? '').trim();
  if (raw === '') return undefined;
  const url = URL.canParse(raw) ? new URL(raw) : undefined;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
    throw new ConfigError('MODELGATE_S3_PUBLIC_BASE_URL', `must be an absolute http(s) URL without query or fragment, got ${JSON.stringify(raw)}`);
  }
  return url.href.replace(/\/+$/, '');
}

/** Undefined when MODELGATE_S3_URL is unset: blobs then stay on local disk. */
export function s3SettingsFromEnv(env: Env): S3Settings | undefined {
  const raw = (env.MODELGATE_S3_URL ?? '').trim();
  if (raw === '') {
    for (const name of ['MODELGATE_S3_FORCE_PATH_STYLE', 'MODELGATE_S3_PUBLIC_BASE_URL', 'MODELGATE_S3_TIMEOUT_MS']) {
      if ((env[name] ?? '').trim() !== '') throw new ConfigError(name, 'only applies with MODELGATE_S3_URL, which is not set');
    }
    return undefined;
  }
  return {
    ...location(raw),
    forcePathStyle: flag(env, 'MODELGATE_S3_FORCE_PATH_STYLE'),
    publicBaseUrl: publicBaseUrl(env),
    // At least a second (a loaded bucket's first byte must fit), at most an hour.
    timeoutMs: integerSetting(env, 'MODELGATE_S3_TIMEOUT_MS', DEFAULT_S3_TIMEOUT_MS, 1_000, 3_600_000),
  };
}
