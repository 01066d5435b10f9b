/**
 * The reframe inputs, read from the job's defaulted input: `resolution` (required, the catalog
 * enum), `seed`, `rendering_speed` (effort), `color_palette` (a mild bias of the fill towards
 * explicit palette colours) and `style` (accepted, no effect here: there is no generative model
 * to steer).
 */
import { EngineError } from '../../engine.ts';
import { jobSeed } from '../../seed.ts';
import type { Effort } from './complete.ts';
import { parseResolution } from './geometry.ts';

export type RenderingSpeed = 'TURBO' | 'BALANCED' | 'QUALITY';

export interface PaletteColor {
  rgb: [number, number, number];
  /** 0..1: how strongly fill pixels nearest to this colour lean towards it. */
  weight: number;
}

export interface ReframeOptions {
  width: number;
  height: number;
  seed: number;
  speed: RenderingSpeed;
  palette: PaletteColor[];
}

/**
 * What every speed shares; the values were chosen on the quality benchmark (docs/benchmarks.md).
 * A fill that follows the guide strictly scores higher on 1/4-scale SSIM but looks like a smear
 * with grain on top; these keep the PatchMatch texture coherent and only lean towards the guide,
 * and let mid-scale detail (2–16 px) fade with the distance from the source, where it is invented
 * and lines up with nothing (8/10 of it gone 96 px out); the grain finer than that stays, and is
 * taken from single best patches rather than the vote's average (detail.ts; issue 17: the
 * average left the far fill too soft on photographs it was never tuned on). detailRadius and
 * textureDamp were chosen on the benchmark's tuning photographs only (docs/benchmarks.md).
 */
const COMMON = {
  knownWeight: 2,
  guideWeight: 1,
  guideTolerance: 8,
  guideInit: false,
  guideSpread: 0.1,
  voteSigma: 20,
  seamRamp: 24,
  structureSpread: 0.3,
  structureRadius: 6,
  structurePull: 0.6,
  structureRamp: 96,
  detailRadius: 3,
  detailGain: 1,
  detailRamp: 16,
  textureFineRadius: 2,
  textureCoarseRadius: 16,
  textureDamp: 0.8,
  textureRamp: 96,
} as const;

/**
 * Effort per speed. Time goes mostly to the finest levels, so the speeds differ in patch size,
 * the EM iterations per level (finest first), and how far the random search looks below the
 * coarsest level. BALANCED does no search at the finest level: the NNF carried up from the level
 * below already votes full-resolution pixels, and searching there cost a third of the time for
 * no visible gain on the benchmark.
 */
export function effortFor(speed: RenderingSpeed): Effort {
  switch (speed) {
    case 'TURBO':
      return { ...COMMON, radius: 2, coarsest: 96, iterations: [0, 1, 3], fineSearchRadius: 8 };
    case 'QUALITY':
      return { ...COMMON, radius: 3, coarsest: 128, iterations: [1, 3, 6], fineSearchRadius: 32 };
    case 'BALANCED':
    default:
      return { ...COMMON, radius: 3, coarsest: 96, iterations: [0, 2, 4], fineSearchRadius: 16 };
  }
}

function parseHex(value: unknown): [number, number, number] | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^#?([0-9a-f]{6}|[0-9a-f]{3})$/i.exec(value.trim());
  if (!match) return undefined;
  const hex = match[1]!.length === 3 ? [...match[1]!].map((c) => c + c).join('') : match[1]!;
  return [parseInt(hex.slice(0, 2), 16), parseInt(hex.slice(2, 4), 16), parseInt(hex.slice(4, 6), 16)];
}

/**
 * Ideogram's palette object: `{"members": [{"color_hex": "#aabbcc", "color_weight": 0.5}, …]}`
 * gives explicit colours; a named preset (`{"name": "PASTEL"}`) and anything unreadable give none.
 */
export function parsePalette(value: unknown): PaletteColor[] {
  if (!value || typeof value !== 'object') return [];
  const members = (value as { members?: unknown }).members;
  if (!Array.isArray(members)) return [];
  const colors: PaletteColor[] = [];
  for (const member of members.slice(0, 16)) {
    if (!member || typeof member !== 'object') continue;
    const rgb = parseHex((member as { color_hex?: unknown }).color_hex);
    if (!rgb) continue;
    const raw = (member as { color_weight?: unknown }).color_weight;
    const weight = typeof raw === 'number' && Number.isFinite(raw) ? Math.min(1, Math.max(0, raw)) : 1;
    colors.push({ rgb, weight });
  }
  return colors;
}

/** `modelId` and the input derive the seed of a job that sends none (../../seed.ts). */
export function parseReframeInput(input: Record<string, unknown>, modelId: string): ReframeOptions {
  let size: { width: number; height: number };
  try {
    size = parseResolution(String(input.resolution ?? ''));
  } catch (error) {
    throw new EngineError('invalid_input', `resolution: ${(error as Error).message}`);
  }
  const seed = jobSeed(modelId, input);
  const rawSpeed = input.rendering_speed;
  const speed: RenderingSpeed = rawSpeed === 'TURBO' || rawSpeed === 'QUALITY' ? rawSpeed : 'BALANCED';
  return { ...size, seed, speed, palette: parsePalette(input.color_palette) };
}
