/**
 * Choosing the finishing steps' settings on the TUNING photographs only (issue 17):
 *   node --import tsx bench/reframe-variants.ts SPEED '[{...Effort overrides}, ...]' [frames e.g. 12:5,3:2] [photo,names]
 * Each tuning case is filled once (fillPyramid), then every variant runs finishFill on a copy of
 * that fill and is scored against the truth, with Telea's SSIM ¼ beside it. The validation
 * photographs are never loaded here.
 */
import { fillPyramid, finishFill, type Effort } from '../src/engines/builtin/reframe/complete.ts';
import { effortFor, type RenderingSpeed } from '../src/engines/builtin/reframe/options.ts';
import { placeImage } from '../src/engines/builtin/reframe/reframe.ts';
import { createWorkerRunner } from '../src/engines/builtin/reframe/worker-runner.ts';
import { unpack } from '../src/engines/builtin/reframe/pyramid.ts';
import type { LevelBuffers } from '../src/engines/builtin/reframe/patchmatch.ts';
import { loadOpenCv, telea } from './reframe-baselines.ts';
import { type Rgb, score, type Scores } from './reframe-metrics.ts';
import type { Rect } from '../src/engines/builtin/reframe/geometry.ts';
import { availablePhotos, FRAMES, makeCase } from './reframe-photos.ts';

const args = process.argv.slice(2);
const speed = (args[0] ?? 'BALANCED') as RenderingSpeed;
const variants: Array<Partial<Effort>> = JSON.parse(args[1] ?? '[{}]');
const frameFilter = args[2]?.split(',');
const photoFilter = args[3]?.split(',');
await loadOpenCv();
const base = effortFor(speed);
const cases: Array<{ name: string; frame: string; level: LevelBuffers; truth: Rgb; rect: Rect; canvas: Uint8Array; telea: Scores }> = [];
const t0 = performance.now();
for (const frame of FRAMES.filter((f) => !frameFilter || frameFilter.some((n) => f.resolution.includes(n)))) {
  for (const photo of availablePhotos().present.filter((p) => p.set === 'tuning' && (!photoFilter || photoFilter.includes(p.name)))) {
    const c = await makeCase(photo, frame);
    const { canvas, placement } = await placeImage(c.input, frame.width, frame.height);
    const runner = createWorkerRunner(2);
    const level = await fillPyramid(canvas, placement, base, 1, runner);
    await runner.close();
    const copy = { ...level, img: Int32Array.from(level.img), nnf: Int32Array.from(level.nnf), voteWeight: Float32Array.from(level.voteWeight) };
    cases.push({ name: photo.name, frame: frame.resolution, level: copy, truth: c.truth, rect: c.rect, canvas, telea: score((await telea(c.canvas, c.rect))!, c.truth, c.rect) });
  }
}
console.log(`filled ${cases.length} cases in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const frames = [...new Set(cases.map((c) => c.frame))];
console.log(`telea: q ${mean(cases.map((c) => c.telea.ssimQuarter)).toFixed(3)} ` + frames.map((f) => `${f.split(' ')[0]} q ${mean(cases.filter((c) => c.frame === f).map((c) => c.telea.ssimQuarter)).toFixed(3)}`).join(' '));
for (const v of variants) {
  const effort = { ...base, ...v };
  const scores: Array<{ frame: string; name: string; s: Scores }> = [];
  for (const c of cases) {
    const level = { ...c.level, img: Int32Array.from(c.level.img) };
    await finishFill(level, effort);
    const out = Uint8Array.from(c.canvas);
    unpack(level.img, out);
    scores.push({ frame: c.frame, name: c.name, s: score({ width: level.width, height: level.height, data: out }, c.truth, c.rect) });
  }
  const m = (list: typeof scores, k: keyof Scores) => mean(list.map((x) => x.s[k])).toFixed(3);
  const tq = mean(cases.map((c) => c.telea.ssimQuarter));
  console.log(`${JSON.stringify(v)}: q ${m(scores, 'ssimQuarter')} (${(Number(m(scores, 'ssimQuarter')) - tq >= 0 ? '+' : '')}${(Number(m(scores, 'ssimQuarter')) - tq).toFixed(3)}) sharp ${m(scores, 'sharpness')} seam ${m(scores, 'seam')} ssim ${m(scores, 'ssim')} | ` + frames.map((f) => { const l = scores.filter((x) => x.frame === f); const tf = mean(cases.filter((c) => c.frame === f).map((c) => c.telea.ssimQuarter)); return `${f.split(' ')[0]} q ${m(l, 'ssimQuarter')}/${tf.toFixed(3)} sh ${m(l, 'sharpness')} se ${m(l, 'seam')}`; }).join(' | '));
}
