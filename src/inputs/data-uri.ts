/**
 * `data:<mime>;base64,<data>` inputs. The decoded size is computed from the base64 length
 * before anything is decoded, so a 100 MB string is refused without allocating 75 MB for it.
 * Only base64 is accepted (binary media percent-encoded is not a thing clients send), and the
 * declared media type is kept for logs only: the type is sniffed from the bytes like any other.
 */
import { writeFile } from 'node:fs/promises';
import { formatBytes } from './body-limits.ts';
import { InputError } from './errors.ts';

export const DEFAULT_MAX_DATA_URI_BYTES = 10 * 1024 * 1024;

export interface DataUri {
  /** What the URI claims (lower-cased, parameters dropped); not trusted. */
  declaredType: string;
  bytes: Buffer;
}

export function isDataUri(value: string): boolean {
  return /^data:/i.test(value);
}

/** Decoded length of a padded or unpadded base64 string, or -1 if the length is impossible. */
export function base64DecodedLength(data: string): number {
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  const unpadded = data.length - padding;
  if (padding > 0 && data.length % 4 !== 0) return -1;
  if (unpadded % 4 === 1) return -1;
  return Math.floor((unpadded * 3) / 4);
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function parseDataUri(value: string, maxBytes: number = DEFAULT_MAX_DATA_URI_BYTES): DataUri {
  if (!isDataUri(value)) throw new InputError('bad_data_uri', 'the input is not a data: URI');
  const comma = value.indexOf(',');
  if (comma < 0 || comma > 256) throw new InputError('bad_data_uri', 'the data: URI has no media type header');
  const params = value.slice(5, comma).split(';').map((p) => p.trim().toLowerCase());
  if (params.at(-1) !== 'base64') throw new InputError('bad_data_uri', 'the data: URI must be base64-encoded (data:<type>;base64,…)');
  const data = value.slice(comma + 1);
  // Cheap bound first (no scan): four characters carry three bytes.
  if (data.length > Math.ceil(maxBytes / 3) * 4 + 4) {
    throw new InputError('too_large', `the data: URI is larger than ${formatBytes(maxBytes)}`, { details: { limit: maxBytes, length: data.length } });
  }
  const decodedLength = base64DecodedLength(data);
  if (decodedLength < 0 || !BASE64.test(data)) throw new InputError('bad_data_uri', 'the data: URI is not valid base64');
  if (decodedLength === 0) throw new InputError('bad_data_uri', 'the data: URI is empty');
  if (decodedLength > maxBytes) {
    throw new InputError('too_large', `the data: URI is larger than ${formatBytes(maxBytes)}`, { details: { limit: maxBytes, decoded: decodedLength } });
  }
  return { declaredType: params.length > 1 ? params[0]! : '', bytes: Buffer.from(data, 'base64') };
}

/** Decodes into `destPath` (created exclusively, owner-only). */
export async function writeDataUri(value: string, destPath: string, maxBytes?: number): Promise<{ sizeBytes: number; declaredType: string }> {
  const { bytes, declaredType } = parseDataUri(value, maxBytes);
  await writeFile(destPath, bytes, { flag: 'wx', mode: 0o600 });
  return { sizeBytes: bytes.length, declaredType };
}
