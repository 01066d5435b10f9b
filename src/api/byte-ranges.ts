/**
 * The Range header of a download, read the way @fastify/send reads it for local files, so both
 * blob backends answer alike: one `bytes=` range is served (206), anything the server may
 * ignore (another unit, several ranges, a malformed value, an If-Range that no longer matches)
 * gets the whole file (200), and a well-formed range that starts past the end is refused (416).
 */
import type { ByteRange } from '../blobs/blob-store.ts';

export type RangeAnswer = { kind: 'whole' } | { kind: 'partial'; range: ByteRange } | { kind: 'unsatisfiable' };

const SINGLE = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*$/;

export function readRange(header: string | undefined, size: number, ifRange: string | undefined, etag: string): RangeAnswer {
  if (header === undefined) return { kind: 'whole' };
  // If-Range names the version the client holds a part of; for any other, it wants it all.
  if (ifRange !== undefined && ifRange !== etag) return { kind: 'whole' };
  const match = SINGLE.exec(header);
  if (!match || (match[1] === '' && match[2] === '')) return { kind: 'whole' };
  const [first, last] = [match[1]!, match[2]!];
  let start: number;
  let end: number;
  if (first === '') {
    // `bytes=-N`: the last N bytes.
    const suffix = Number(last);
    if (suffix === 0) return { kind: 'unsatisfiable' };
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(first);
    end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
    if (last !== '' && Number(last) < start) return { kind: 'whole' };
  }
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', range: { start, end } };
}
