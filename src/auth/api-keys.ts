/**
 * API keys: `mg_` followed by 43 base62 characters (256 random bits). Only SHA-256 of the key is
 * stored; a fast hash is right here because the key is random, not a password. The `prefix`
 * (first 10 characters) is kept in the clear to tell keys apart in lists and logs.
 */
import * as crypto from 'node:crypto';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ApiError } from '../errors.ts';
import type { ApiKeyRecord, Store } from '../store/store.ts';

export const KEY_PREFIX = 'mg_';
const KEY_BODY_LENGTH = 43;
const KEY_PATTERN = /^mg_[0-9A-Za-z]{43}$/;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function base62(bytes: Buffer, length: number): string {
  let value = BigInt(`0x${bytes.toString('hex')}`);
  let out = '';
  for (let i = 0; i < length; i++) {
    out = BASE62[Number(value % 62n)]! + out;
    value /= 62n;
  }
  return out;
}

// crypto.hash (Node ≥ 20.12) is the one-shot form: no Hash object per request on the auth path.
const oneShotHash = typeof crypto.hash === 'function' ? crypto.hash : undefined;

export function hashApiKey(key: string): string {
  return oneShotHash ? oneShotHash('sha256', key, 'hex') : createHash('sha256').update(key, 'utf8').digest('hex');
}

export interface NewApiKey {
  /** The secret, shown once and never stored. */
  key: string;
  record: ApiKeyRecord;
}

export interface KeyOptions {
  /** The key's own running-jobs quota (ApiKeyRecord.maxRunning); null follows the install's. */
  maxRunning?: number | null;
}

export function generateApiKey(name: string, now: number = Date.now(), options: KeyOptions = {}): NewApiKey {
  const key = KEY_PREFIX + base62(randomBytes(32), KEY_BODY_LENGTH);
  const id = `key_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  return { key, record: { id, name, prefix: key.slice(0, 10), hash: hashApiKey(key), createdAt: now, revokedAt: null, maxRunning: options.maxRunning ?? null } };
}

export async function createApiKey(store: Store, name: string, options: KeyOptions = {}): Promise<NewApiKey> {
  const created = generateApiKey(name, Date.now(), options);
  await store.insertApiKey(created.record);
  return created;
}

const UNAUTHORIZED_MESSAGE = 'Missing or invalid API key: send "Authorization: Bearer <key>" with an active key.';

/**
 * Resolves the key named by an Authorization header, or throws 401001. Every failure (no header,
 * wrong scheme, malformed, unknown, revoked) gives the same answer, so probing learns nothing.
 * The store answers from its cache of active keys (store/key-cache.ts): a revocation takes
 * effect on the very next request to the server that made it, and within KEY_CACHE_TTL_MS (1 s)
 * on every other server.
 */
export async function authenticate(store: Store, header: string | undefined): Promise<ApiKeyRecord> {
  const key = header ? BEARER.exec(header)?.[1] : undefined;
  if (!key || !KEY_PATTERN.test(key)) throw new ApiError('unauthorized', UNAUTHORIZED_MESSAGE);
  const digest = hashApiKey(key);
  const record = await store.findApiKeyByHash(digest);
  if (!record || record.revokedAt !== null || !sameDigest(record.hash, digest)) throw new ApiError('unauthorized', UNAUTHORIZED_MESSAGE);
  return record;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * The lookup is by digest already; this final check takes the same time however many leading
 * characters match, whatever the backend's index or the cache's map did before it.
 */
function sameDigest(stored: string, digest: string): boolean {
  if (stored.length !== digest.length) return false;
  let difference = 0;
  for (let i = 0; i < digest.length; i++) difference |= stored.charCodeAt(i) ^ digest.charCodeAt(i);
  return difference === 0;
}
