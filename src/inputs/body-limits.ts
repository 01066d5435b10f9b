/**
 * Step 6 of the fetch pipeline: byte caps on the stream itself. We ask for
 * `Accept-Encoding: identity`, but a server may compress anyway; rather than refuse such images
 * we decode gzip/deflate/br ourselves and count the DECODED bytes, so a 50 KB body that would
 * inflate to 50 MB is cut off one zlib chunk (16 KiB) past the cap. Wire bytes are capped too.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { InputError } from './errors.ts';

/**
 * Passes bytes through until `max` is exceeded, then fails with InputError 'too_large'. The
 * chunk that crosses the cap is never passed on, so at most `max` bytes reach the file;
 * `counted` includes that chunk (one socket read or one 16 KiB zlib chunk past the cap).
 */
export class ByteLimit extends Transform {
  count = 0;

  constructor(
    private readonly max: number,
    private readonly what: 'decoded' | 'wire',
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.count += chunk.length;
    if (this.count > this.max) {
      callback(
        new InputError('too_large', `the input file is larger than ${formatBytes(this.max)}`, {
          details: { limit: this.max, counted: this.count, passed: this.count - chunk.length, what: this.what },
        }),
      );
      return;
    }
    callback(null, chunk);
  }
}

/**
 * The decoder for a Content-Encoding header, `null` for identity, or InputError 'encoding'
 * for anything else (including stacked encodings, which only serve to multiply ratios).
 */
export function decoderFor(header: string | string[] | undefined): Transform | null {
  const value = (Array.isArray(header) ? header.join(',') : (header ?? '')).trim().toLowerCase();
  if (value === '' || value === 'identity') return null;
  if (value === 'gzip' || value === 'x-gzip') return createGunzip();
  if (value === 'deflate') return createInflate();
  if (value === 'br') return createBrotliDecompress();
  throw new InputError('encoding', 'the input file was sent with a content encoding that is not accepted');
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MB`;
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}
