/**
 * Step 7 of the pipeline: the type is what the first bytes say, never what a Content-Type
 * header or a data: URI's media type claims. Only formats our decoders are allowed to open are
 * accepted; SVG (scripts, external references), PDF, HTML, TIFF and HEIF are named and refused
 * before any decoder sees them.
 */
import { open } from 'node:fs/promises';
import type { FileKind } from '../catalog/types.ts';
import { InputError } from './errors.ts';

export type SniffedFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'mp4' | 'mov' | '3gp' | 'webm' | 'mkv';

export interface SniffedType {
  kind: FileKind;
  format: SniffedFormat;
  contentType: string;
  /** File extension without the dot. */
  extension: string;
}

/** Bytes sniffBytes looks at; enough for an ftyp box's brands and an EBML DocType. */
export const SNIFF_BYTES = 512;

const TYPES: Record<SniffedFormat, SniffedType> = {
  jpeg: { kind: 'image', format: 'jpeg', contentType: 'image/jpeg', extension: 'jpg' },
  png: { kind: 'image', format: 'png', contentType: 'image/png', extension: 'png' },
  webp: { kind: 'image', format: 'webp', contentType: 'image/webp', extension: 'webp' },
  gif: { kind: 'image', format: 'gif', contentType: 'image/gif', extension: 'gif' },
  mp4: { kind: 'video', format: 'mp4', contentType: 'video/mp4', extension: 'mp4' },
  mov: { kind: 'video', format: 'mov', contentType: 'video/quicktime', extension: 'mov' },
  '3gp': { kind: 'video', format: '3gp', contentType: 'video/3gpp', extension: '3gp' },
  webm: { kind: 'video', format: 'webm', contentType: 'video/webm', extension: 'webm' },
  mkv: { kind: 'video', format: 'mkv', contentType: 'video/x-matroska', extension: 'mkv' },
};

/** ISO-BMFF brands that are still images (HEIC, AVIF), not video. */
const IMAGE_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs', 'mif1', 'msf1', 'avif', 'avis']);

function startsWith(head: Buffer, bytes: readonly number[], offset = 0): boolean {
  return head.length >= offset + bytes.length && bytes.every((b, i) => head[offset + i] === b);
}

function ascii(head: Buffer, start: number, end: number): string {
  return head.subarray(start, end).toString('latin1');
}

export type SniffResult = { ok: true; type: SniffedType } | { ok: false; what: string };

export function sniffBytes(head: Buffer): SniffResult {
  if (startsWith(head, [0xff, 0xd8, 0xff])) return { ok: true, type: TYPES.jpeg };
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { ok: true, type: TYPES.png };
  if (ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 12) === 'WEBP') return { ok: true, type: TYPES.webp };
  if (ascii(head, 0, 6) === 'GIF87a' || ascii(head, 0, 6) === 'GIF89a') return { ok: true, type: TYPES.gif };
  if (ascii(head, 4, 8) === 'ftyp') {
    const size = head.readUInt32BE(0);
    const brands = [ascii(head, 8, 12)];
    for (let at = 16; at + 4 <= Math.min(size, head.length); at += 4) brands.push(ascii(head, at, at + 4));
    if (brands.some((b) => IMAGE_BRANDS.has(b))) return { ok: false, what: 'a HEIF/AVIF image' };
    if (brands[0] === 'qt  ') return { ok: true, type: TYPES.mov };
    if (brands[0]!.startsWith('3g')) return { ok: true, type: TYPES['3gp'] };
    return { ok: true, type: TYPES.mp4 };
  }
  if (startsWith(head, [0x1a, 0x45, 0xdf, 0xa3])) {
    const header = ascii(head, 0, 64);
    if (header.includes('webm')) return { ok: true, type: TYPES.webm };
    if (header.includes('matroska')) return { ok: true, type: TYPES.mkv };
    return { ok: false, what: 'an unknown EBML file' };
  }
  return { ok: false, what: describeRefused(head) };
}

/** Names the common refused types, so the client learns what we saw (not what they claimed). */
function describeRefused(head: Buffer): string {
  if (ascii(head, 0, 5) === '%PDF-') return 'a PDF document';
  if (startsWith(head, [0x49, 0x49, 0x2a, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2a])) return 'a TIFF image';
  if (ascii(head, 0, 2) === 'BM') return 'a BMP image';
  if (startsWith(head, [0x1f, 0x8b])) return 'a gzip archive';
  if (ascii(head, 0, 4) === 'PK\x03\x04') return 'a zip archive';
  const text = head.toString('utf8').replace(/^\uFEFF/, '').trimStart().slice(0, 256).toLowerCase();
  if (text.startsWith('<svg') || (text.startsWith('<?xml') && text.includes('<svg'))) return 'an SVG image';
  if (/^<(!doctype html|html|head|body|script|iframe|!--)/.test(text)) return 'an HTML page';
  if (text.startsWith('<?xml')) return 'an XML document';
  if (text.startsWith('#extm3u')) return 'a playlist';
  return 'a file of unknown type';
}

const ACCEPTED: Record<FileKind, string> = {
  image: 'an image (JPEG, PNG, WebP or GIF)',
  video: 'a video (MP4, MOV or WebM)',
};

/** Reads the head of `path` and returns its type, or throws InputError 'bad_type'. */
export async function sniffFile(path: string, expected?: FileKind): Promise<SniffedType> {
  const handle = await open(path, 'r');
  let head: Buffer;
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0);
    head = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  const result = sniffBytes(head);
  if (!result.ok) {
    const wanted = expected ? ACCEPTED[expected] : 'an image or a video';
    throw new InputError('bad_type', `expected ${wanted}, but the file is ${result.what}`, { details: { sniffed: result.what } });
  }
  if (expected && result.type.kind !== expected) {
    throw new InputError('bad_type', `expected ${ACCEPTED[expected]}, but the file is ${result.type.kind === 'image' ? 'an image' : 'a video'} (${result.type.format})`, {
      details: { sniffed: result.type.format },
    });
  }
  return result.type;
}
