/**
 * Judges a picture of the tiny-shapes domain from its pixels alone (the design of
 * ../shared/research/tiny-t2i-cpu-probe.md, "Pixel analyser"):
 * - background: the palette colour nearest to the median of the four 3×3 corners;
 * - objects: 4-connected components of pixels farther than FAR from the background colour
 *   (stripes are within ~47 of it), largest first, specks under MIN_AREA pixels ignored;
 * - object colour: the majority of its pixels' nearest palette colours;
 * - shape: from its bounding box's fill ratio and the share of its area above the box's centre
 *   (an apex-up triangle ≈ 0.25, circles and squares ≈ 0.5): triangle if that share is under
 *   0.4, else square if the fill is above 0.88, circle from 0.62 to 0.88, anything else a miss;
 * - position: the nearest of the five anchors to the box centre (one object); for two objects
 *   the stated order along the stated axis, centres at least 10 % of the side apart.
 */
import type { Domain, Rgb, Scene, ShapeName } from './shapes-domain.ts';

const FAR = 65;
const MIN_AREA = 12;

export interface FoundObject {
  colour: string;
  shape: ShapeName | 'unknown';
  area: number;
  /** Box centre, in pixels. */
  cx: number;
  cy: number;
  fill: number;
  upperShare: number;
}

export interface Analysis {
  background: string;
  objects: FoundObject[];
}

const dist2 = (a: Rgb, b: Rgb) => (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2 + (a[2] - b[2]) ** 2;

function nearestName(domain: Domain, c: Rgb): string {
  let best = '';
  let bestD = Infinity;
  for (const [name, rgb] of Object.entries(domain.colours)) {
    const d = dist2(c, rgb);
    if (d < bestD) {
      bestD = d;
      best = name;
    }
  }
  return best;
}

function pixel(p: Buffer, i: number): Rgb {
  return [p[i * 3]!, p[i * 3 + 1]!, p[i * 3 + 2]!];
}

export function analyse(domain: Domain, pixels: Buffer, width: number, height: number): Analysis {
  const corner: Rgb[] = [];
  for (const [x0, y0] of [[0, 0], [width - 3, 0], [0, height - 3], [width - 3, height - 3]] as const) {
    for (let y = y0; y < y0 + 3; y++) for (let x = x0; x < x0 + 3; x++) corner.push(pixel(pixels, y * width + x));
  }
  const median = [0, 1, 2].map((c) => corner.map((p) => p[c]!).sort((a, b) => a - b)[corner.length >> 1]!) as Rgb;
  const background = nearestName(domain, median);
  const bg = domain.colours[background]!;
  const n = width * height;
  const far = new Uint8Array(n);
  for (let i = 0; i < n; i++) far[i] = dist2(pixel(pixels, i), bg) > FAR * FAR ? 1 : 0;
  const label = new Int32Array(n).fill(-1);
  const objects: FoundObject[] = [];
  const stack: number[] = [];
  for (let start = 0; start < n; start++) {
    if (!far[start] || label[start] !== -1) continue;
    const members: number[] = [];
    label[start] = objects.length;
    stack.push(start);
    while (stack.length > 0) {
      const i = stack.pop()!;
      members.push(i);
      const x = i % width;
      const y = (i - x) / width;
      for (const [nx, ny] of [[x - 1, y], [x + 1, y], [x, y - 1], [x, y + 1]] as const) {
        if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
        const j = ny * width + nx;
        if (far[j] && label[j] === -1) {
          label[j] = label[start]!;
          stack.push(j);
        }
      }
    }
    if (members.length < MIN_AREA) continue;
    let minX = width, maxX = 0, minY = height, maxY = 0;
    const votes = new Map<string, number>();
    for (const i of members) {
      const x = i % width;
      const y = (i - x) / width;
      minX = Math.min(minX, x);
      maxX = Math.max(maxX, x);
      minY = Math.min(minY, y);
      maxY = Math.max(maxY, y);
      const name = nearestName(domain, pixel(pixels, i));
      votes.set(name, (votes.get(name) ?? 0) + 1);
    }
    const colour = [...votes.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    const boxW = maxX - minX + 1;
    const boxH = maxY - minY + 1;
    const cy = (minY + maxY + 1) / 2;
    const upper = members.filter((i) => Math.floor(i / width) + 0.5 < cy).length;
    const fill = members.length / (boxW * boxH);
    const upperShare = upper / members.length;
    const shape: FoundObject['shape'] = upperShare < 0.4 ? 'triangle' : fill > 0.88 ? 'square' : fill >= 0.62 ? 'circle' : 'unknown';
    objects.push({ colour, shape, area: members.length, cx: (minX + maxX + 1) / 2, cy, fill, upperShare });
  }
  objects.sort((a, b) => b.area - a.area);
  return { background, objects };
}

export interface Score {
  background: boolean;
  /** Per object asked for: its colour was found / its shape right. */
  colour: boolean[];
  shape: boolean[];
  position: boolean;
}

/** How `found` answers `scene` (see the file comment for each check). */
export function score(domain: Domain, scene: Scene, found: Analysis, width: number, height: number): Score {
  const background = found.background === scene.background;
  if (scene.objects.length === 1) {
    const want = scene.objects[0]!;
    const got = found.objects[0];
    let position = false;
    if (got) {
      let best = '';
      let bestD = Infinity;
      for (const [name, [fx, fy]] of Object.entries(domain.places)) {
        const d = (got.cx / width - fx) ** 2 + (got.cy / height - fy) ** 2;
        if (d < bestD) {
          bestD = d;
          best = name;
        }
      }
      position = best === want.place;
    }
    return { background, colour: [got?.colour === want.colour], shape: [got?.shape === want.shape], position };
  }
  // Two objects: each asked-for object is the largest found component of its colour.
  const matches = scene.objects.map((want) => found.objects.find((o) => o.colour === want.colour));
  const [a, b] = matches;
  let position = false;
  if (a && b) {
    const horizontal = scene.relation === 'left of' || scene.relation === 'right of';
    const delta = horizontal ? (b.cx - a.cx) / width : (b.cy - a.cy) / height;
    const wantPositive = scene.relation === 'left of' || scene.relation === 'above';
    position = wantPositive ? delta >= 0.1 : delta <= -0.1;
  }
  return {
    background,
    colour: matches.map((m) => m !== undefined),
    shape: matches.map((m, i) => m?.shape === scene.objects[i]!.shape),
    position,
  };
}

/** Percentages over a set of scores: background and position per prompt, colour and shape per object. */
export function tally(scores: Score[]): { background: number; colour: number; shape: number; position: number; prompts: number } {
  const pct = (hits: number, total: number) => (total === 0 ? NaN : (100 * hits) / total);
  const objects = scores.flatMap((s) => s.colour);
  const shapes = scores.flatMap((s) => s.shape);
  return {
    background: pct(scores.filter((s) => s.background).length, scores.length),
    colour: pct(objects.filter(Boolean).length, objects.length),
    shape: pct(shapes.filter(Boolean).length, shapes.length),
    position: pct(scores.filter((s) => s.position).length, scores.length),
    prompts: scores.length,
  };
}
