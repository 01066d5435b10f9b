/**
 * Media made at test time: images of any size and format with sharp, PNGs with an exact file
 * size (padding in a private ancillary chunk), and a pixel bomb: a PNG whose header and data
 * honestly describe a huge all-zero grayscale image, so it compresses to a few hundred KB.
 */
import { createDeflate, crc32 } from 'node:zlib';
import sharp from 'sharp';

export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'gif' | 'tiff';

/** A solid-colour image (cheap at any size), or noise when `noise` is set (resists compression). */
export async function makeImage(width: number, height: number, format: ImageFormat = 'png', noise = false): Promise<Buffer> {
  const image = noise
    ? sharp({ create: { width, height, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 60 } } })
    : sharp({ create: { width, height, channels: 3, background: { r: 200, g: 120, b: 40 } } });
  return image.toFormat(format).toBuffer();
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** Pads a PNG to exactly `size` bytes with a private ancillary chunk (decoders skip it). */
export function padPng(png: Buffer, size: number): Buffer {
  const iend = png.length - 12;
  const padding = size - png.length - 12;
  if (padding < 0) throw new Error(`PNG is already ${png.length} bytes`);
  return Buffer.concat([png.subarray(0, iend), chunk('prVt', Buffer.alloc(padding)), png.subarray(iend)]);
}

/** An all-zero 8-bit grayscale PNG of width × height, deflated row by row (never in memory). */
export async function pixelBombPng(width: number, height: number): Promise<Buffer> {
  const deflate = createDeflate({ level: 9 });
  const parts: Buffer[] = [];
  deflate.on('data', (part: Buffer) => parts.push(part));
  const done = new Promise<void>((resolve, reject) => {
    deflate.on('end', resolve);
    deflate.on('error', reject);
  });
  const row = Buffer.alloc(width + 1); // filter byte 0, then zeros
  for (let y = 0; y < height; y++) {
    if (!deflate.write(row)) await new Promise((resolve) => deflate.once('drain', resolve));
  }
  deflate.end();
  await done;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // grayscale
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', Buffer.concat(parts)), chunk('IEND', Buffer.alloc(0))]);
}

export function dataUri(bytes: Buffer, type = 'image/png'): string {
  return `data:${type};base64,${bytes.toString('base64')}`;
}
