/**
 * Coarse-to-fine completion driver. Builds the pyramid, starts the coarsest level from a smooth
 * pull-push guess and a random NNF, then at every level alternates PatchMatch search and voting
 * (an EM of Wexler et al. 2007), the search steered by the structure guide (guide.ts); the NNF
 * found at one level seeds the next finer one. At the finest level the fill's fine grain comes
 * from single best patches rather than the vote's average (detail.ts), its low frequencies lean
 * towards the guide away from the border, its mid frequencies fade there (structure.ts), and the
 * seams are corrected (seam.ts). The kernels run band by band through a BandRunner (worker
 * threads, or inline); this file only sequences them, checks the abort signal between phases and
 * reports progress.
 */
import type { LevelShape, Placement } from './geometry.ts';
import { pyramidShapes } from './geometry.ts';
import type { LevelBuffers, SearchArgs } from './patchmatch.ts';
import { mixSeed } from '../prng.ts';
import { downsample, pack, pullPush, unpack, upsampleNnf } from './pyramid.ts';
import { packHole, patchMeans, structureGuide } from './guide.ts';
import { correctSeams } from './seam.ts';
import { dampMidFrequencies, pullLowFrequencies } from './structure.ts';
import { restoreFineDetail } from './detail.ts';

/** How hard to try; see effortFor in options.ts. */
export interface Effort {
  /** Patch radius (patches are (2r+1)²). */
  radius: number;
  /** The coarsest level's long side is at most this. */
  coarsest: number;
  /** EM iterations at each level, finest first; the last entry repeats for coarser levels. */
  iterations: number[];
  /** Random-search radius cap below the coarsest level (the coarsest searches everywhere). */
  fineSearchRadius: number;
  /** Weight of known pixels in a target patch's distance (hole pixels weigh 1). */
  knownWeight: number;
  /** Weight of the structure guide's term in the distance (see patchmatch.ts). */
  guideWeight: number;
  /** Mean colour difference (per channel) that the guide term forgives. */
  guideTolerance: number;
  /** Start the coarsest level from the structure guide (else from a pull-push interpolation). */
  guideInit: boolean;
  /** How fast the guide's blur along the edge grows with the distance from it (guide.ts). */
  guideSpread: number;
  /** Colour error (RMS over R+G+B, per pixel) at which a match's vote weight falls to 1/e; 0 = plain mean. */
  voteSigma: number;
  /** Width in pixels over which the seam correction fades out (seam.ts); 0 = none. */
  seamRamp: number;
  /** Structure/texture recombination (structure.ts): guide spread, lowpass radius (px), pull β. */
  structureSpread: number;
  structureRadius: number;
  structurePull: number;
  structureRamp: number;
  /** Fine grain from single best patches (detail.ts): the band's radius (px), how much of it (0 = the vote's average alone), ramp (px). */
  detailRadius: number;
  detailGain: number;
  detailRamp: number;
  /** Mid-frequency damping far from the source (structure.ts): band radii (px), strength, ramp (px). */
  textureFineRadius: number;
  textureCoarseRadius: number;
  textureDamp: number;
  textureRamp: number;
}

export type BandTask =
  | { op: 'search'; args: SearchArgs }
  | { op: 'vote'; rowFrom: number; rowTo: number }
  | { op: 'random'; rowFrom: number; rowTo: number; seed: number };

/** Runs band tasks over one level's shared buffers; tasks of one call may run in parallel. */
export interface BandRunner {
  setLevel(level: LevelBuffers): Promise<void>;
  run(tasks: BandTask[]): Promise<void>;
}

/** Rows (or columns) of the known edge that the structure guide averages. */
const GUIDE_DEPTH = 3;

/** Lets the event loop run between the steps this (main) thread does itself. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Bands per phase: fixed, so the result never depends on how many threads ran them. */
export const BANDS = 2;

export interface CompleteHooks {
  signal?: AbortSignal;
  progress?: (fraction: number) => void;
}

function shared<T extends Uint8Array | Int32Array>(Type: new (buffer: SharedArrayBuffer) => T, bytes: number): T {
  return new Type(new SharedArrayBuffer(bytes));
}

function allocLevel(shape: LevelShape, radius: number, effort: Effort): LevelBuffers {
  const { width: w, height: h, rect } = shape;
  const weight = shared(Uint8Array, w * h);
  weight.fill(1);
  for (let y = rect.y0; y < rect.y1; y++) weight.fill(effort.knownWeight, y * w + rect.x0, y * w + rect.x1);
  const voteWeight = new Float32Array(new SharedArrayBuffer(w * h * 4));
  voteWeight.fill(1);
  return {
    width: w,
    height: h,
    rect,
    radius,
    img: shared(Int32Array, w * h * 4),
    weight,
    nnf: shared(Int32Array, w * h * 4),
    dist: shared(Int32Array, w * h * 4),
    means: shared(Int32Array, w * h * 4),
    guideWeight: effort.guideWeight,
    guideTolerance2: 3 * effort.guideTolerance * effort.guideTolerance,
    voteWeight,
    voteSigma2: effort.voteSigma * effort.voteSigma,
  };
}

function bands(height: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let b = 0; b < BANDS; b++) out.push([Math.floor((height * b) / BANDS), Math.floor((height * (b + 1)) / BANDS)]);
  return out;
}

/**
 * The number of EM iterations at pyramid level `index` (0 = finest) of `count`. The coarsest level
 * always gets the coarse count, even when it is also the finest (a source too thin to halve).
 */
export function iterationsAt(effort: Effort, index: number, count: number): number {
  const last = effort.iterations.length - 1;
  return effort.iterations[index === count - 1 ? last : Math.min(index, last)]!;
}

/**
 * Whether the pyramid gets coarse enough for PatchMatch to be worth it: its coarsest level's long
 * side within 4 × effort.coarsest. A source only a few pixels across (a 40:1 strip) cannot be
 * halved that often while holding whole patches; reframe fills those smoothly instead.
 */
export function canComplete(placement: Placement, effort: Effort): boolean {
  const r = effort.radius;
  const shapes = pyramidShapes(placement, effort.coarsest, 2 * r + 3);
  const coarsest = shapes[shapes.length - 1]!;
  return Math.min(coarsest.rect.x1 - coarsest.rect.x0, coarsest.rect.y1 - coarsest.rect.y0) >= 2 * r + 3 && Math.max(coarsest.width, coarsest.height) <= 4 * effort.coarsest;
}

/**
 * Completes `canvas` (RGB, placement.width × placement.height, known inside placement.rect) in
 * place: every pixel outside the rectangle is filled, the ones inside are never written.
 */
export async function completeImage(canvas: Uint8Array, placement: Placement, effort: Effort, seed: number, runner: BandRunner, hooks: CompleteHooks = {}): Promise<void> {
  const finest = await fillPyramid(canvas, placement, effort, seed, runner, hooks);
  hooks.signal?.throwIfAborted();
  await finishFill(finest, effort);
  unpack(finest.img, canvas);
}

/**
 * The coarse-to-fine EM: returns the finest level, its hole filled by the vote and its NNF and
 * vote weights as the last pass left them (finishFill does the rest).
 */
export async function fillPyramid(canvas: Uint8Array, placement: Placement, effort: Effort, seed: number, runner: BandRunner, hooks: CompleteHooks = {}): Promise<LevelBuffers> {
  const r = effort.radius;
  const shapes = pyramidShapes(placement, effort.coarsest, 2 * r + 3);
  const levels = shapes.map((shape) => allocLevel(shape, r, effort));
  pack(canvas, levels[0]!.img);
  for (let l = 1; l < levels.length; l++) downsample(levels[l - 1]!.img, levels[l - 1]!.width, levels[l - 1]!.height, levels[l]!.img);

  const cost = levels.map((level, l) => level.width * level.height * (2 * iterationsAt(effort, l, levels.length) + 1));
  const total = cost.reduce((a, b) => a + b, 0);
  let done = 0;
  const check = () => {
    if (hooks.signal?.aborted) throw hooks.signal.reason;
  };
  const step = (units: number) => {
    done += units;
    hooks.progress?.(Math.min(1, done / total));
  };

  for (let l = levels.length - 1; l >= 0; l--) {
    const level = levels[l]!;
    const rows = bands(level.height);
    const unit = level.width * level.height;
    check();
    if (l === levels.length - 1) {
      const guide = structureGuide(level.img, level.width, level.height, level.rect, effort.guideSpread, GUIDE_DEPTH);
      if (effort.guideInit) packHole(guide, level.rect, level.img);
      else pullPush(level.img, level.width, level.height, level.rect);
      patchMeans(guide, r, level.means);
      await runner.setLevel(level);
      await runner.run(rows.map(([rowFrom, rowTo], b) => ({ op: 'random', rowFrom, rowTo, seed: mixSeed(seed, l, -1, b) })));
    } else {
      const guide = structureGuide(level.img, level.width, level.height, level.rect, effort.guideSpread, GUIDE_DEPTH);
      await tick();
      patchMeans(guide, r, level.means);
      await tick();
      upsampleNnf(levels[l + 1]!, level);
      await runner.setLevel(level);
      await runner.run(rows.map(([rowFrom, rowTo]) => ({ op: 'vote', rowFrom, rowTo })));
    }
    step(unit);
    const iterations = iterationsAt(effort, l, levels.length);
    const maxRadius = l === levels.length - 1 ? Number.MAX_SAFE_INTEGER : effort.fineSearchRadius;
    for (let iteration = 0; iteration < iterations; iteration++) {
      check();
      await runner.run(rows.map(([rowFrom, rowTo], b) => ({ op: 'search', args: { rowFrom, rowTo, iteration, seed: mixSeed(seed, l, iteration, b), maxRadius } })));
      step(unit);
      check();
      await runner.run(rows.map(([rowFrom, rowTo]) => ({ op: 'vote', rowFrom, rowTo })));
      step(unit);
    }
  }
  return levels[0]!;
}

/**
 * The finest level's last steps, on this thread (each yields to the event loop between passes):
 * the fill's fine grain taken from single best patches instead of the vote's average (detail.ts),
 * its low frequencies pulled towards the structure guide, its mid frequencies faded far from
 * the source (structure.ts), and the seams corrected (seam.ts).
 */
export async function finishFill(finest: LevelBuffers, effort: Effort): Promise<void> {
  await restoreFineDetail(finest, effort.detailRadius, effort.detailGain, effort.detailRamp, tick);
  await tick();
  const structure = structureGuide(finest.img, finest.width, finest.height, finest.rect, effort.structureSpread, GUIDE_DEPTH);
  await tick();
  await pullLowFrequencies(finest.img, structure, finest.rect, effort.structureRadius, effort.structurePull, effort.structureRamp, tick);
  await tick();
  await dampMidFrequencies(finest.img, finest.width, finest.height, finest.rect, effort.textureFineRadius, effort.textureCoarseRadius, effort.textureDamp, effort.textureRamp, tick);
  await tick();
  correctSeams(finest, effort.seamRamp);
}
