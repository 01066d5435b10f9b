/**
 * The photographs of the reframe quality benchmark: freely licensed pictures that Debian ships
 * (nothing is downloaded at run time). Install them with
 *   apt-get install -y lomiri-wallpapers-16.04 mate-backgrounds
 * Licences are as stated in /usr/share/doc/<package>/copyright.
 */
import { existsSync } from 'node:fs';
import sharp from 'sharp';
import type { Rect } from '../src/engines/builtin/reframe/geometry.ts';
import type { Rgb } from './reframe-metrics.ts';

export interface Photo {
  name: string;
  path: string;
  package: string;
  author: string;
  licence: string;
}

const LOMIRI = 'lomiri-wallpapers-16.04';
const MATE = 'mate-backgrounds';

export const PHOTOS: Photo[] = [
  { name: 'aitzgorri', path: '/usr/share/backgrounds/aitzgorri_by_Aitzol_Berasategi.jpg', package: LOMIRI, author: 'Aitzol Berasategi', licence: 'CC-BY-4.0' },
  { name: 'picosdeeuropa', path: '/usr/share/backgrounds/picosdeeuropa_by_Aitzol_Berasategi.jpg', package: LOMIRI, author: 'Aitzol Berasategi', licence: 'CC-BY-4.0' },
  { name: 'life', path: '/usr/share/backgrounds/life_by_Aitzol_Berasategi.jpg', package: LOMIRI, author: 'Aitzol Berasategi', licence: 'CC-BY-4.0' },
  { name: 'sunset', path: '/usr/share/backgrounds/sunset_by_Aitzol_Berasategi.jpg', package: LOMIRI, author: 'Aitzol Berasategi', licence: 'CC-BY-4.0' },
  { name: 'bridge', path: '/usr/share/backgrounds/Bridge_by_Sander_Klootwijk.jpg', package: LOMIRI, author: 'Sander Klootwijk', licence: 'CC-BY-SA-4.0' },
  { name: 'seeding', path: '/usr/share/backgrounds/seeding_by_Clements_Engelhardt.jpg', package: LOMIRI, author: 'Clemens Engelhardt', licence: 'CC0-1.0' },
  { name: 'dune', path: '/usr/share/backgrounds/mate/nature/Dune.jpg', package: MATE, author: 'Marco Cogoni', licence: 'GPL-2+' },
  { name: 'storm', path: '/usr/share/backgrounds/mate/nature/Storm.jpg', package: MATE, author: 'Sergey Nazarov', licence: 'GPL-2+' },
];

export interface Frame {
  /** The catalog's resolution string. */
  resolution: string;
  width: number;
  height: number;
  /** The centre crop that is given to reframe (it is placed back exactly there, at scale 1). */
  crop: number;
}

/** Wide (58 % filled, left and right), 3:2 (33 %, left and right), tall (33 %, top and bottom). */
export const FRAMES: Frame[] = [
  { resolution: '1536:640 (12:5)', width: 1536, height: 640, crop: 640 },
  { resolution: '1248:832 (3:2)', width: 1248, height: 832, crop: 832 },
  { resolution: '832:1248 (2:3)', width: 832, height: 1248, crop: 832 },
];

export interface Case {
  photo: Photo;
  frame: Frame;
  /** The photograph cropped (centred) and scaled to the frame: the truth. */
  truth: Rgb;
  /** The centre crop, as a PNG: reframe's input. */
  input: Buffer;
  /** Where the crop sits in the frame: everything outside is scored. */
  rect: Rect;
  /** The truth with everything outside `rect` black: what the baselines start from. */
  canvas: Rgb;
}

export function availablePhotos(): { present: Photo[]; missing: Photo[] } {
  return { present: PHOTOS.filter((p) => existsSync(p.path)), missing: PHOTOS.filter((p) => !existsSync(p.path)) };
}

export async function makeCase(photo: Photo, frame: Frame): Promise<Case> {
  const { width, height, crop } = frame;
  const raw = await sharp(photo.path).rotate().resize(width, height, { fit: 'cover', position: 'centre' }).removeAlpha().raw().toBuffer();
  const truth: Rgb = { width, height, data: new Uint8Array(raw) };
  const x0 = Math.floor((width - crop) / 2);
  const y0 = Math.floor((height - crop) / 2);
  const rect: Rect = { x0, y0, x1: x0 + crop, y1: y0 + crop };
  const input = await sharp(raw, { raw: { width, height, channels: 3 } }).extract({ left: x0, top: y0, width: crop, height: crop }).png().toBuffer();
  const canvas: Rgb = { width, height, data: new Uint8Array(width * height * 3) };
  for (let y = rect.y0; y < rect.y1; y++) canvas.data.set(truth.data.subarray((y * width + x0) * 3, (y * width + x0 + crop) * 3), (y * width + x0) * 3);
  return { photo, frame, truth, input, rect, canvas };
}
