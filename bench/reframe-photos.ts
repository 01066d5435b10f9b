/**
 * The photographs of the reframe quality benchmark: freely licensed pictures that Debian ships
 * (nothing is downloaded at run time). Install them with
 *   apt-get install -y lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 mate-backgrounds plasma-workspace-wallpapers
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
  /** Settings are chosen on 'tuning' only; 'validation' measures them (issue 17). */
  set: PhotoSet;
}

export type PhotoSet = 'tuning' | 'validation';

const LOMIRI = 'lomiri-wallpapers-16.04';
const LOMIRI20 = 'lomiri-wallpapers-20.04';
const MATE = 'mate-backgrounds';
const PLASMA = 'plasma-workspace-wallpapers';
const BG = '/usr/share/backgrounds';
const KDE = (name: string, size = '2560x1600') => `/usr/share/wallpapers/${name}/contents/images/${size}.jpg`;
/** plasma-workspace-wallpapers: Debian's copyright gives GPL-2+ for every file; each wallpaper's metadata.json says LGPLv3. */
const KDE_LICENCE = 'GPL-2+ (metadata: LGPLv3)';

/**
 * The tuning set: every setting of the engine is chosen on these only. The first eight are the
 * photographs the earlier settings were chosen on (issue 4), so they can never validate anything.
 */
const TUNING_FIRST: Photo[] = [
  { name: 'aitzgorri', path: `${BG}/aitzgorri_by_Aitzol_Berasategi.jpg`, package: LOMIRI, author: 'Aitzol Berasategi', licence: 'CC-BY-4.0', set: 'tuning' },
  { name: 'picosdeeuropa', path: `${BG}/picosdeeuropa_by_Aitzol_Berasategi.jpg`, package: LOMIRI, author: 'Aitzol Berasategi', licence: 'CC-BY-4.0', set: 'tuning' },
  { name: 'life', path: `${BG}/life_by_Aitzol_Berasategi.jpg`, package: LOMIRI, author: 'Aitzol Berasategi', licence: 'CC-BY-4.0', set: 'tuning' },
  { name: 'sunset', path: `${BG}/sunset_by_Aitzol_Berasategi.jpg`, package: LOMIRI, author: 'Aitzol Berasategi', licence: 'CC-BY-4.0', set: 'tuning' },
  { name: 'bridge', path: `${BG}/Bridge_by_Sander_Klootwijk.jpg`, package: LOMIRI, author: 'Sander Klootwijk', licence: 'CC-BY-SA-4.0', set: 'tuning' },
  { name: 'seeding', path: `${BG}/seeding_by_Clements_Engelhardt.jpg`, package: LOMIRI, author: 'Clemens Engelhardt', licence: 'CC0-1.0', set: 'tuning' },
  { name: 'dune', path: `${BG}/mate/nature/Dune.jpg`, package: MATE, author: 'Marco Cogoni', licence: 'GPL-2+', set: 'tuning' },
  { name: 'storm', path: `${BG}/mate/nature/Storm.jpg`, package: MATE, author: 'Sergey Nazarov', licence: 'GPL-2+', set: 'tuning' },
];

/**
 * Photographs added for issue 17, every photograph in the four packages that is not one of the
 * above (illustrations, abstract art and the colour-processed texture analogpattern left out,
 * judged by eye before any was scored). Listed per package in file-name order; the split is by
 * that order alone, fixed before any setting changed: the 1st, 3rd, 5th … of each package
 * validate, the 2nd, 4th … tune (see `split` below). Never move one after seeing results.
 */
const ADDED: Array<Omit<Photo, 'set'>> = [
  { name: 'dragonfly', path: `${BG}/Dragonfly_by_Bolly.jpg`, package: LOMIRI, author: 'Bolly', licence: 'CC-BY-SA-4.0' },
  { name: 'picture0b', path: `${BG}/Picture_0B_by_freespace.jpg`, package: LOMIRI, author: 'Trevor "Freespace"', licence: 'CC-BY-4.0' },
  { name: 'picture1a', path: `${BG}/Picture_1A_by_freespace.jpg`, package: LOMIRI, author: 'Trevor "Freespace"', licence: 'CC-BY-4.0' },
  { name: 'wine', path: `${BG}/Wine_by_Jakkub_Mede.jpg`, package: LOMIRI, author: 'Jakub Mede', licence: 'CC-BY-4.0' },
  { name: 'free', path: `${BG}/free_by_Peter_Nerlich.jpg`, package: LOMIRI, author: 'Peter Nerlich', licence: 'CC-BY-SA-4.0' },
  { name: 'friends', path: `${BG}/friends_by_Aitzol_Berasategi.jpg`, package: LOMIRI, author: 'Aitzol Berasategi', licence: 'CC-BY-4.0' },
  { name: 'greentock', path: `${BG}/greentock_by_Peter_Nerlich.jpg`, package: LOMIRI, author: 'Peter Nerlich', licence: 'CC-BY-SA-4.0' },
  { name: 'kleiber', path: `${BG}/Kleiber_by_Lukas_Baubkus.jpg`, package: LOMIRI20, author: 'Lukas Baubkus', licence: 'CC-BY-SA-3.0' },
  { name: 'aqua', path: `${BG}/mate/nature/Aqua.jpg`, package: MATE, author: 'Charles Barbin', licence: 'GPL-2+' },
  { name: 'blinds', path: `${BG}/mate/nature/Blinds.jpg`, package: MATE, author: 'Lennart Poettering', licence: 'GPL-2+' },
  { name: 'freshflower', path: `${BG}/mate/nature/FreshFlower.jpg`, package: MATE, author: 'Jens Ansorg', licence: 'GPL-2+' },
  { name: 'garden', path: `${BG}/mate/nature/Garden.jpg`, package: MATE, author: 'Charles Barbin', licence: 'GPL-2+' },
  { name: 'greenmeadow', path: `${BG}/mate/nature/GreenMeadow.jpg`, package: MATE, author: 'Timothy Schellhase', licence: 'GPL-2+' },
  { name: 'ladybird', path: `${BG}/mate/nature/LadyBird.jpg`, package: MATE, author: 'Charles Barbin', licence: 'GPL-2+' },
  { name: 'raindrops', path: `${BG}/mate/nature/RainDrops.jpg`, package: MATE, author: '"blackcombwhistler07"', licence: 'GPL-2+' },
  { name: 'twowings', path: `${BG}/mate/nature/TwoWings.jpg`, package: MATE, author: 'Charles Barbin', licence: 'GPL-2+' },
  { name: 'wood', path: `${BG}/mate/nature/Wood.jpg`, package: MATE, author: 'Jean-François Fortin Tam', licence: 'GPL-2+' },
  { name: 'yellowflower', path: `${BG}/mate/nature/YellowFlower.jpg`, package: MATE, author: 'Charles Barbin', licence: 'GPL-2+' },
  { name: 'bythewater', path: KDE('BytheWater'), package: PLASMA, author: 'Maciej Wiklo', licence: KDE_LICENCE },
  { name: 'coldripple', path: KDE('ColdRipple'), package: PLASMA, author: 'Risto Saukonpää', licence: KDE_LICENCE },
  { name: 'colorfulcups', path: KDE('ColorfulCups'), package: PLASMA, author: 'Dmitri Popov', licence: KDE_LICENCE },
  { name: 'darkesthour', path: KDE('DarkestHour'), package: PLASMA, author: 'Risto Saukonpää', licence: KDE_LICENCE },
  { name: 'eveningglow', path: KDE('EveningGlow'), package: PLASMA, author: 'Ian Hex', licence: KDE_LICENCE },
  { name: 'fallenleaf', path: KDE('FallenLeaf'), package: PLASMA, author: 'Martin Klapetek', licence: KDE_LICENCE },
  { name: 'grey', path: KDE('Grey'), package: PLASMA, author: 'Sigi Sagi', licence: KDE_LICENCE },
  { name: 'kite', path: KDE('Kite'), package: PLASMA, author: 'Risto Saukonpää', licence: KDE_LICENCE },
  { name: 'onestandsout', path: KDE('OneStandsOut'), package: PLASMA, author: 'Risto Saukonpää', licence: KDE_LICENCE },
  { name: 'path', path: KDE('Path'), package: PLASMA, author: 'Risto Saukonpää', licence: KDE_LICENCE },
  { name: 'summer1am', path: KDE('summer_1am'), package: PLASMA, author: 'Risto Saukonpää', licence: KDE_LICENCE },
];

/** The rule, by position only: within each package (in ADDED's order) 1st, 3rd, … validate; the rest tune. */
function split(added: Array<Omit<Photo, 'set'>>): Photo[] {
  const seen = new Map<string, number>();
  return added.map((photo) => {
    const index = seen.get(photo.package) ?? 0;
    seen.set(photo.package, index + 1);
    return { ...photo, set: index % 2 === 0 ? 'validation' : 'tuning' };
  });
}

export const PHOTOS: Photo[] = [...TUNING_FIRST, ...split(ADDED)];

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
