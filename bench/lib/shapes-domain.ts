/**
 * The bundled tiny-shapes model's domain as its manifest describes it (models/tiny-shapes/
 * manifest.json, written by training/train-tiny-shapes.py): palette, places, sizes, the held-out
 * triples and the evaluation prompts. Also draws a scene's ground truth, independently of the
 * training script's rasteriser: as SVG, rasterised by sharp (librsvg), so the analyser is checked
 * against pictures it did not learn its thresholds from.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

export type Rgb = [number, number, number];
export type ShapeName = 'circle' | 'square' | 'triangle';
export type Relation = 'left of' | 'right of' | 'above' | 'below';

export interface SceneObject {
  colour: string;
  shape: ShapeName;
  size?: string;
  place?: string;
}

export interface Scene {
  background: string;
  striped: boolean;
  objects: SceneObject[];
  relation?: Relation;
}

export interface EvalPrompt extends Scene {
  caption: string;
  held_out: boolean;
}

export interface Domain {
  colours: Record<string, Rgb>;
  shapes: ShapeName[];
  places: Record<string, [number, number]>;
  relations: Relation[];
  sizes: Record<string, number>;
  pair_size: number;
}

export interface Manifest {
  steps: number;
  training_seconds: number;
  domain: Domain;
  held_out_triples: Array<[string, string, string]>;
  eval_prompts: EvalPrompt[];
  files: Record<string, { bytes: number; sha256: string }>;
}

export const BUNDLED_DIR = join(import.meta.dirname, '..', '..', 'models', 'tiny-shapes');

export function readManifest(dir = BUNDLED_DIR): Manifest {
  return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
}

/** (cx, cy, r) in pixels per object in caption order: the training script's object_boxes. */
export function objectBoxes(domain: Domain, scene: Scene, width: number, height: number): Array<[number, number, number]> {
  const short = Math.min(width, height);
  if (scene.objects.length === 1) {
    const [fx, fy] = domain.places[scene.objects[0]!.place!]!;
    return [[fx * width, fy * height, domain.sizes[scene.objects[0]!.size!]! * short]];
  }
  const r = domain.pair_size * short;
  const layout: Record<Relation, [[number, number], [number, number]]> = {
    'left of': [[0.3, 0.5], [0.7, 0.5]],
    'right of': [[0.7, 0.5], [0.3, 0.5]],
    above: [[0.5, 0.3], [0.5, 0.7]],
    below: [[0.5, 0.7], [0.5, 0.3]],
  };
  return layout[scene.relation!].map(([fx, fy]) => [fx * width, fy * height, r] as [number, number, number]);
}

const hex = (c: Rgb) => `rgb(${c.map((v) => Math.round(v)).join(',')})`;

/** The stripe colour: 12 % of the way to white (dark colours) or black (light ones). */
function shade(c: Rgb): Rgb {
  const target = c[0] + c[1] + c[2] < 380 ? 255 : 0;
  return c.map((v) => v + 0.12 * (target - v)) as Rgb;
}

function sceneSvg(domain: Domain, scene: Scene, width: number, height: number): string {
  const bg = domain.colours[scene.background]!;
  const parts = [`<rect width="${width}" height="${height}" fill="${hex(bg)}"/>`];
  if (scene.striped) {
    // Diagonal stripes, 2 px of shade every 6, as the training script draws them.
    parts.push(`<defs><pattern id="s" width="6" height="6" patternUnits="userSpaceOnUse"><path d="M0,0 L2,0 L-4,6 L-6,6 Z M6,0 L8,0 L2,6 L0,6 Z M12,0 L14,0 L8,6 L6,6 Z" fill="${hex(shade(bg))}"/></pattern></defs>`);
    parts.push(`<rect width="${width}" height="${height}" fill="url(#s)"/>`);
  }
  objectBoxes(domain, scene, width, height).forEach(([cx, cy, r], i) => {
    const object = scene.objects[i]!;
    const fill = hex(domain.colours[object.colour]!);
    if (object.shape === 'circle') parts.push(`<circle cx="${cx}" cy="${cy}" r="${r}" fill="${fill}"/>`);
    else if (object.shape === 'square') parts.push(`<rect x="${cx - r}" y="${cy - r}" width="${2 * r}" height="${2 * r}" fill="${fill}"/>`);
    else parts.push(`<polygon points="${cx},${cy - r} ${cx + r},${cy + r} ${cx - r},${cy + r}" fill="${fill}"/>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

/** The scene drawn at width×height: RGB bytes, row major. */
export async function drawScene(domain: Domain, scene: Scene, width: number, height: number): Promise<Buffer> {
  return sharp(Buffer.from(sceneSvg(domain, scene, width, height))).removeAlpha().raw().toBuffer();
}

/** A seeded random scene of the domain (any triple), for the analyser's validation. */
export function randomScene(domain: Domain, random: () => number): Scene {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const names = Object.keys(domain.colours);
  const background = pick(names);
  const count = random() < 0.5 ? 1 : 2;
  const others = names.filter((c) => c !== background);
  const colours: string[] = [];
  while (colours.length < count) {
    const c = pick(others);
    if (!colours.includes(c)) colours.push(c);
  }
  const objects: SceneObject[] = colours.map((colour) => ({ colour, shape: pick(domain.shapes) }));
  const scene: Scene = { background, striped: random() < 0.25, objects };
  if (count === 1) {
    objects[0]!.size = pick(Object.keys(domain.sizes));
    objects[0]!.place = pick(Object.keys(domain.places));
  } else scene.relation = pick(domain.relations);
  return scene;
}
