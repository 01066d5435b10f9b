/** Helpers for the image-to-video tests: a photo-like test image, ffprobe's measurements, MP4 box order. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { findFfprobe } from '../../src/inputs/probe-video.ts';

const run = promisify(execFile);

/** A photo-like test image (gradients, soft stripes, a few hard edges) from a raw buffer. */
export async function testPhoto(path: string, width: number, height: number): Promise<void> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 3;
      raw[p] = (x * 255) / width;
      raw[p + 1] = (y * 255) / height;
      raw[p + 2] = 128 + 90 * Math.sin(x / 23) * Math.cos(y / 31) + ((x >> 6) + (y >> 6)) % 2 * 20;
    }
  }
  await sharp(raw, { raw: { width, height, channels: 3 } }).png().toFile(path);
}

export interface Probe {
  codec: string;
  pixFmt: string;
  profile: string;
  width: number;
  height: number;
  packets: number;
  frames: number;
  duration: number;
  frameRate: string;
  colorSpace: string;
}

export async function probe(path: string): Promise<Probe> {
  const { stdout } = await run(findFfprobe(), ['-v', 'error', '-count_packets', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,pix_fmt,profile,width,height,nb_read_packets,nb_frames,r_frame_rate,color_space:format=duration', '-of', 'json', `file:${path}`]);
  const parsed = JSON.parse(stdout) as { streams: Record<string, string | number>[]; format: { duration: string } };
  const s = parsed.streams[0]!;
  return {
    codec: String(s.codec_name), pixFmt: String(s.pix_fmt), profile: String(s.profile), width: Number(s.width), height: Number(s.height),
    packets: Number(s.nb_read_packets), frames: Number(s.nb_frames), duration: Number(parsed.format.duration), frameRate: String(s.r_frame_rate), colorSpace: String(s.color_space),
  };
}

/** Top-level MP4 boxes in file order. */
export function topLevelBoxes(bytes: Buffer): string[] {
  const boxes: string[] = [];
  for (let offset = 0; offset + 8 <= bytes.length;) {
    let size = bytes.readUInt32BE(offset);
    boxes.push(bytes.toString('latin1', offset + 4, offset + 8));
    if (size === 1) size = Number(bytes.readBigUInt64BE(offset + 8));
    if (size < 8) break;
    offset += size;
  }
  return boxes;
}

