/**
 * Image-to-video (builtin engine): seconds per clip for 5 s and 10 s at both ratios, split into
 * frame generation and encoding, beside an encode-only baseline measured in the same run: ffmpeg
 * encoding the same number of frames of a static image through the same arguments.
 *
 *   node --import tsx bench/image-to-video.ts [--repeat N] [--image PATH] [--threads N (render threads, default 1)]
 *
 * For each (ratio, duration), medians over N runs (default 1) of:
 *   clip       the whole job as the engine runs it (renderVideo): decode, frames, encode, faststart
 *   frames     frame generation alone (the same frames, the same threads, no ffmpeg)
 *   encode     ffmpeg alone on those real frames, pre-rendered in memory
 *   static     the baseline: ffmpeg on the same number of copies of one frame
 * Wall seconds, and CPU seconds: this process (all its threads) and ffmpeg (from the children's
 * times the kernel adds to /proc/self/stat when a child is reaped). Reported, never judged.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { planCamera } from '../src/engines/builtin/video/camera.ts';
import { startEncoder } from '../src/engines/builtin/video/encoder.ts';
import { findFfmpeg } from '../src/engines/builtin/video/find-ffmpeg.ts';
import { motionFromPrompt } from '../src/engines/builtin/video/motion.ts';
import { seededRandom } from '../src/engines/builtin/video/random.ts';
import { createFrameSource } from '../src/engines/builtin/video/render-pool.ts';
import { FPS, renderVideo } from '../src/engines/builtin/video/render-video.ts';
import { loadYuv } from '../src/engines/builtin/video/source.ts';

const args = process.argv.slice(2);
const option = (name: string) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : undefined;
};
const repeat = Number(option('repeat') ?? 1);
const threads = Number(option('threads') ?? 1);
const PROMPT = 'slow push in with drift';
const SEED = 7;

interface Sample { wall: number; node: number; ffmpeg: number }

/** CPU seconds of reaped children (ffmpeg), from /proc/self/stat fields 16–17 (clock ticks, 100 Hz). */
function childCpu(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

async function measure(work: () => Promise<void>): Promise<Sample> {
  const cpu = process.cpuUsage();
  const children = childCpu();
  const started = performance.now();
  await work();
  const used = process.cpuUsage(cpu);
  return { wall: (performance.now() - started) / 1000, node: (used.user + used.system) / 1e6, ffmpeg: childCpu() - children };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const med = (samples: Sample[]): Sample => ({ wall: median(samples.map((s) => s.wall)), node: median(samples.map((s) => s.node)), ffmpeg: median(samples.map((s) => s.ffmpeg)) });

/** A photo-like image when no photo is given: gradients, texture and edges, 2048×1536. */
async function syntheticPhoto(path: string): Promise<void> {
  const width = 2048;
  const height = 1536;
  const raw = Buffer.alloc(width * height * 3);
  const random = seededRandom(1);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 3;
      const grain = (random() - 0.5) * 24;
      raw[p] = Math.max(0, Math.min(255, (x * 255) / width + grain));
      raw[p + 1] = Math.max(0, Math.min(255, (y * 255) / height + grain));
      raw[p + 2] = Math.max(0, Math.min(255, 128 + 90 * Math.sin(x / 37) * Math.cos(y / 53) + (((x >> 7) + (y >> 7)) % 2) * 30 + grain));
    }
  }
  await sharp(raw, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toFile(path);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-bench-video-'));
  try {
    const photo = option('image') ?? ['/usr/share/backgrounds/Fossa_by_Jasper_Roks.jpg'].find((path) => existsSync(path)) ?? join(dir, 'synthetic.jpg');
    if (!existsSync(photo)) await syntheticPhoto(photo);
    const meta = await sharp(photo).metadata();
    const ffmpeg = findFfmpeg();
    console.log(`# image-to-video benchmark: ${photo} (${meta.width}×${meta.height}), prompt "${PROMPT}", seed ${SEED}`);
    console.log(`# ffmpeg ${ffmpeg.path} (${ffmpeg.source}); ${cpus().length} cores (${cpus()[0]?.model}); render threads ${threads}; Node ${process.version}; repeat ${repeat}; load average at start ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    console.log('');
    console.log('| clip | clip wall s | clip CPU s (node + ffmpeg) | frames wall s | frames CPU s | encode wall s | encode CPU s | static-image encode wall s (baseline) | static CPU s | MP4 size |');
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    // Warm-up: starts the render threads and JIT, as a running server would have them.
    await renderVideo({ imagePath: photo, promptText: PROMPT, width: 320, height: 192, durationSeconds: 5, seed: SEED, outPath: join(dir, 'warm.mp4'), signal: new AbortController().signal, renderThreads: threads });

    for (const [width, height] of [[1280, 768], [768, 1280]] as const) {
      for (const duration of [5, 10] as const) {
        const frames = duration * FPS;
        const clip: Sample[] = [];
        const gen: Sample[] = [];
        const enc: Sample[] = [];
        const still: Sample[] = [];
        let size = 0;
        for (let r = 0; r < repeat; r++) {
          const out = join(dir, `clip-${width}x${height}-${duration}.mp4`);
          let baseWidth = 0;
          let baseHeight = 0;
          clip.push(await measure(async () => {
            const report = await renderVideo({ imagePath: photo, promptText: PROMPT, width, height, durationSeconds: duration, seed: SEED, outPath: out, signal: new AbortController().signal, renderThreads: threads });
            ({ baseWidth, baseHeight } = report);
          }));
          size = statSync(out).size;

          // The same frames, generated without ffmpeg; kept for the encode-only run.
          const motion = motionFromPrompt(PROMPT, seededRandom(SEED, 0));
          const camera = planCamera({ imageWidth: meta.width!, imageHeight: meta.height!, outWidth: width, outHeight: height, frames, durationSeconds: duration, motion, seed: SEED });
          const base = await loadYuv(photo, baseWidth, baseHeight);
          const sx = baseWidth / meta.width!;
          const sy = baseHeight / meta.height!;
          const windows = camera.windows.map((w) => ({ x: w.x * sx, y: w.y * sy, width: Math.min(baseWidth - w.x * sx, w.width * sx), height: Math.min(baseHeight - w.y * sy, w.height * sy) }));
          const rendered: Uint8Array[] = [];
          gen.push(await measure(async () => {
            const source = createFrameSource(base, windows, width, height, threads);
            for (let i = 0; i < frames; i++) rendered.push(await source.frame(i));
            await source.close();
          }));

          const encode = async (frame: (i: number) => Uint8Array, name: string) => {
            const encoder = startEncoder({ ffmpegPath: ffmpeg.path, width, height, fps: FPS, outPath: join(dir, name), signal: new AbortController().signal });
            for (let i = 0; i < frames; i++) await encoder.write(frame(i));
            await encoder.finish();
          };
          enc.push(await measure(() => encode((i) => rendered[i]!, 'encode-only.mp4')));
          still.push(await measure(() => encode(() => rendered[0]!, 'static.mp4')));
        }
        const c = med(clip);
        const g = med(gen);
        const e = med(enc);
        const s = med(still);
        console.log(`| ${width}×${height}, ${duration} s (${frames} frames) | **${c.wall.toFixed(2)}** | ${(c.node + c.ffmpeg).toFixed(2)} (${c.node.toFixed(2)} + ${c.ffmpeg.toFixed(2)}) | ${g.wall.toFixed(2)} | ${g.node.toFixed(2)} | ${e.wall.toFixed(2)} | ${e.ffmpeg.toFixed(2)} | ${s.wall.toFixed(2)} | ${s.ffmpeg.toFixed(2)} | ${(size / 1e6).toFixed(2)} MB |`);
      }
    }
    console.log('');
    console.log(`# load average at end ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
