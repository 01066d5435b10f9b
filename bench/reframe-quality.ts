/**
 * Reframe quality and speed (issue 4, "Measured quality"):
 *   node --import tsx bench/reframe-quality.ts [--frames wide,3:2,tall] [--speed TURBO|BALANCED|QUALITY]
 *     [--set tuning|validation] [--photos a,b] [--methods reframe,telea] [--no-timing | --timing-only] [--picture PATH]
 *
 * The photographs are split into a tuning set (settings are chosen on it) and a validation set
 * (never tuned on: it measures them); both are reported apart (issue 17). --set, --photos and
 * --methods narrow a run while iterating; the recorded run uses none of them.
 * For each photograph (bench/reframe-photos.ts; Debian packages, never downloaded) and frame,
 * the centre crop is reframed back to the frame by the builtin engine (--speed, default BALANCED;
 * seed 1) and by
 * each baseline (bench/reframe-baselines.ts); every result is scored on the filled region
 * (bench/reframe-metrics.ts). The aims, all three at once: 1/4-scale SSIM at least Telea's,
 * sharpness 0.6–1.5 (overall and on every frame shape), seam ≤ 1. Then 1024² → 1536:640 is timed at each rendering speed.
 * Prints Markdown tables; writes a side-by-side picture (default docs/images/reframe-quality.png).
 */
import { cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp, { type OverlayOptions } from 'sharp';
import { reframeImage } from '../src/engines/builtin/reframe/reframe.ts';
import type { RenderingSpeed } from '../src/engines/builtin/reframe/options.ts';
import { blur, loadOpenCv, mirror, stretch, telea } from './reframe-baselines.ts';
import { type Rgb, type Scores, score } from './reframe-metrics.ts';
import { availablePhotos, type Case, FRAMES, makeCase, type PhotoSet } from './reframe-photos.ts';

const root = join(fileURLToPath(import.meta.url), '../..');
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const option = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const frameNames: Record<string, string> = { wide: '1536:640 (12:5)', '3:2': '1248:832 (3:2)', tall: '832:1248 (2:3)' };
const frames = (option('--frames')?.split(',') ?? Object.keys(frameNames)).map((name) => FRAMES.find((f) => f.resolution === frameNames[name])!);
const picturePath = option('--picture') ?? join(root, 'docs/images/reframe-quality.png');
const speed = (option('--speed') ?? 'BALANCED') as RenderingSpeed;
if (!['TURBO', 'BALANCED', 'QUALITY'].includes(speed)) throw new Error(`--speed: TURBO, BALANCED or QUALITY, not ${speed}`);

const ALL_METHODS = ['reframe', 'telea', 'mirror', 'blur', 'stretch'] as const;
type Method = (typeof ALL_METHODS)[number];
const METHODS = ALL_METHODS.filter((m) => option('--methods')?.split(',').includes(m) ?? true);
const onlySet = option('--set') as PhotoSet | undefined;
const onlyPhotos = option('--photos')?.split(',');
/** The picture's rows: the first validation photograph of each package (fixed before any was scored). */
const PICTURE_ROWS = ['dragonfly', 'kleiber', 'aqua', 'bythewater'];

async function ours(c: Case): Promise<{ image: Rgb; ms: number }> {
  const start = performance.now();
  const result = await reframeImage(c.input, { width: c.frame.width, height: c.frame.height, seed: 1, speed, palette: [] });
  const ms = performance.now() - start;
  const r = result.placement.rect;
  if (r.x0 !== c.rect.x0 || r.y0 !== c.rect.y0 || r.x1 !== c.rect.x1 || r.y1 !== c.rect.y1) throw new Error(`placement ${JSON.stringify(r)} is not the crop's ${JSON.stringify(c.rect)}`);
  return { image: { width: c.frame.width, height: c.frame.height, data: result.pixels }, ms };
}

async function run(c: Case, method: Method): Promise<Rgb | undefined> {
  switch (method) {
    case 'reframe':
      return (await ours(c)).image;
    case 'telea':
      return telea(c.canvas, c.rect);
    case 'mirror':
      return mirror(c.canvas, c.rect);
    case 'blur':
      return blur(c.canvas, c.rect);
    case 'stretch':
      return stretch(c.canvas, c.rect);
  }
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const f2 = (v: number) => v.toFixed(2);
const f3 = (v: number) => v.toFixed(3);

async function tile(image: Rgb, width: number): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).resize(width).png().toBuffer();
}

async function picture(rows: Array<{ label: string; images: Partial<Record<Method | 'truth', Rgb>> }>): Promise<void> {
  const columns: Array<Method | 'truth'> = ['truth', ...METHODS];
  const tileW = 320;
  const gap = 6;
  const labelH = 22;
  const composites: OverlayOptions[] = [];
  let top = labelH;
  for (const row of rows) {
    const first = row.images.truth!;
    const tileH = Math.round((first.height * tileW) / first.width);
    for (const [i, column] of columns.entries()) {
      const image = row.images[column];
      if (image) composites.push({ input: await tile(image, tileW), left: i * (tileW + gap), top });
    }
    top += tileH + gap;
  }
  const width = columns.length * (tileW + gap) - gap;
  const labels = columns.map((c, i) => `<text x="${i * (tileW + gap) + 4}" y="16" font-family="sans-serif" font-size="14" fill="#fff">${c === 'reframe' ? `reframe (${speed})` : c}</text>`).join('');
  const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${labelH}">${labels}</svg>`);
  try {
    composites.push({ input: await sharp(svg).png().toBuffer(), left: 0, top: 0 });
  } catch {
    // No SVG loader: the column order is given in docs/benchmarks.md.
  }
  await sharp({ create: { width, height: top, channels: 3, background: '#222' } }).composite(composites).png({ palette: true, quality: 90, compressionLevel: 9 }).toFile(picturePath);
}

async function timing(): Promise<void> {
  const { present } = availablePhotos();
  const source = await sharp(present[0]!.path).resize(1024, 1024, { fit: 'cover' }).png().toBuffer();
  console.log(`\n### Time: 1024×1024 → 1536:640 (12:5), whole task (decode, fit, fill on 2 worker threads, PNG), ${cpus().length} cores, load average ${loadavg()[0]!.toFixed(2)} at the start\n`);
  console.log('| rendering_speed | wall ms (median of 5) | min | max | CPU ms (all threads, median) | longest event-loop block ms |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const speed of ['TURBO', 'BALANCED', 'QUALITY'] as const) {
    const walls: number[] = [];
    const cpu: number[] = [];
    await reframeImage(source, { width: 1536, height: 640, seed: 1, speed, palette: [] }); // warm-up
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    for (let i = 0; i < 5; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await reframeImage(source, { width: 1536, height: 640, seed: 1 + i, speed, palette: [] });
      walls.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
    }
    loop.disable();
    walls.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    console.log(`| ${speed} | ${walls[2]!.toFixed(0)} | ${walls[0]!.toFixed(0)} | ${walls[4]!.toFixed(0)} | ${cpu[2]!.toFixed(0)} | ${(loop.max / 1e6).toFixed(0)} |`);
  }
}

type Row = { set: PhotoSet; frame: string; method: Method; scores: Scores };

/** The means of one set, with the aims checked (sharpness on every frame shape too), then by frame. */
function report(set: PhotoSet, list: Row[], haveTelea: boolean): void {
  if (list.length === 0) return;
  const m = (rows: Row[], key: keyof Scores) => mean(rows.map((r) => r.scores[key]));
  const of = (method: Method, frame?: string) => list.filter((r) => r.method === method && (!frame || r.frame === frame));
  const telea = of('telea');
  const teleaQuarter = haveTelea && telea.length ? m(telea, 'ssimQuarter') : undefined;
  const frameNames = [...new Set(list.map((r) => r.frame))];
  console.log(`\n### ${set} set: means over ${of('reframe').length || of(METHODS[0]!).length} cases (${frameNames.length} frames), and the aims\n`);
  console.log('| method | SSIM | SSIM ¼ | PSNR dB | sharpness | seam | misses |');
  console.log('|---|---:|---:|---:|---:|---:|---|');
  for (const method of METHODS) {
    const rows = of(method);
    if (rows.length === 0) continue;
    const misses: string[] = [];
    if (teleaQuarter !== undefined && m(rows, 'ssimQuarter') < teleaQuarter - 1e-9) misses.push('coarse structure (SSIM ¼ below Telea)');
    const sharp = [m(rows, 'sharpness'), ...frameNames.map((f) => m(of(method, f), 'sharpness'))];
    if (sharp.some((v) => v < 0.6)) misses.push('texture (smeared: sharpness < 0.6 overall or on a frame)');
    if (sharp.some((v) => v > 1.5)) misses.push('texture (noisy: sharpness > 1.5 overall or on a frame)');
    if (m(rows, 'seam') > 1) misses.push('seam (border changes more than the truth)');
    console.log(`| ${method} | ${f3(m(rows, 'ssim'))} | ${f3(m(rows, 'ssimQuarter'))} | ${f2(m(rows, 'psnr'))} | ${f2(m(rows, 'sharpness'))} | ${f2(m(rows, 'seam'))} | ${misses.join('; ') || 'none: meets all three'} |`);
  }
  console.log(`\n${set} set by frame:\n`);
  console.log('| frame | method | SSIM | SSIM ¼ | PSNR dB | sharpness | seam |');
  console.log('|---|---|---:|---:|---:|---:|---:|');
  for (const frame of frameNames) {
    for (const method of ['reframe', 'telea'] as const) {
      const rows = of(method, frame);
      if (rows.length) console.log(`| ${frame} | ${method} | ${f3(m(rows, 'ssim'))} | ${f3(m(rows, 'ssimQuarter'))} | ${f2(m(rows, 'psnr'))} | ${f2(m(rows, 'sharpness'))} | ${f2(m(rows, 'seam'))} |`);
    }
  }
}

async function main(): Promise<void> {
  const { present, missing } = availablePhotos();
  if (present.length === 0) {
    console.log('SKIPPED: none of the benchmark photographs is installed. Install them with\n  apt-get install -y lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 mate-backgrounds plasma-workspace-wallpapers\n(see docs/benchmarks.md, "Reframe (builtin engine)").');
    return;
  }
  if (flag('--timing-only')) return timing();
  if (missing.length) console.log(`note: ${missing.length} photograph(s) missing (${missing.map((p) => p.name).join(', ')}); scoring the ${present.length} present`);
  const haveTelea = Boolean(await loadOpenCv());
  if (!haveTelea) console.log('note: @techstark/opencv-js is not installed (npm install): the Telea baseline is skipped');
  const all: Row[] = [];
  const rows: Array<{ label: string; images: Partial<Record<Method | 'truth', Rgb>> }> = [];
  const chosen = present.filter((p) => (!onlySet || p.set === onlySet) && (!onlyPhotos || onlyPhotos.includes(p.name)));
  console.log(`\n### Per case (reframe at ${speed}, seed 1)\n`);
  console.log('| set | photo | frame | method | SSIM | SSIM ¼ | PSNR dB | sharpness | seam |');
  console.log('|---|---|---|---|---:|---:|---:|---:|---:|');
  for (const frame of frames) {
    for (const photo of chosen) {
      const c = await makeCase(photo, frame);
      const images: Partial<Record<Method | 'truth', Rgb>> = { truth: c.truth };
      for (const method of METHODS) {
        const image = await run(c, method);
        if (!image) continue;
        images[method] = image;
        const s = score(image, c.truth, c.rect);
        all.push({ set: photo.set, frame: frame.resolution, method, scores: s });
        console.log(`| ${photo.set} | ${photo.name} | ${frame.resolution} | ${method} | ${f3(s.ssim)} | ${f3(s.ssimQuarter)} | ${f2(s.psnr)} | ${f2(s.sharpness)} | ${f2(s.seam)} |`);
      }
      if (PICTURE_ROWS.includes(photo.name) && frame === frames[0]) rows.push({ label: photo.name, images });
    }
  }
  for (const set of ['tuning', 'validation'] as const) report(set, all.filter((s) => s.set === set), haveTelea);
  if (rows.length) {
    await picture(rows);
    console.log(`\npicture: ${picturePath}`);
  }
  if (!flag('--no-timing')) await timing();
}

await main();
