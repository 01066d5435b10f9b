/**
 * ONNX text-to-image: seconds per image on this machine, at the model's native size and at
 * 2048×2048 (and the largest catalog sizes), for the whole engine (tokenize, schedule, guidance,
 * decode, resize, encode) beside a baseline of the same session.run calls alone on ready-made
 * tensors; and the process's peak RSS.
 *   node --import tsx bench/onnx-t2i.ts [model_dir] [--steps N] [--threads N] [--rounds N]
 * Default model: the bundled models/tiny-shapes/ (else test/fixtures/tiny-sd-onnx, a tiny random
 * export that times the pipeline, not a real model's UNet). Rounds alternate pipeline and
 * baseline; medians are reported.
 */
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import pino from 'pino';
import { nativeSize } from '../src/engines/onnx/catalog-mapping.ts';
import { loadModelFolder, type ModelFolder } from '../src/engines/onnx/model-folder.ts';
import { BUNDLED_MODEL_DIR, createOnnxEngine, encodeImage, onnxEngineOptions } from '../src/engines/onnx/onnx-engine.ts';
import { generate } from '../src/engines/onnx/pipeline.ts';
import { schedulerForClass } from '../src/engines/onnx/schedulers.ts';

const ROOT = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const modelDir = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'))
  ?? (existsSync(BUNDLED_MODEL_DIR) ? BUNDLED_MODEL_DIR : join(ROOT, 'test/fixtures/tiny-sd-onnx'));
const steps = flag('steps', 20);
const threads = flag('threads', availableParallelism());
const rounds = flag('rounds', 7);
const log = pino({ level: 'silent' });
const signal = new AbortController().signal;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const time = async (fn: () => Promise<unknown>) => {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
};

/** The session.run calls the pipeline makes for one guided image, on tensors made once. */
function baseline(folder: ModelFolder, width: number, height: number): () => Promise<void> {
  const s = folder.sessions;
  const [seq] = [folder.tokenizer.maxLength];
  const ids = s.inputIds.type === 'int64' ? new ort.Tensor('int64', new BigInt64Array(2 * seq), [2, seq]) : new ort.Tensor('int32', new Int32Array(2 * seq), [2, seq]);
  const lw = width / folder.vaeScale;
  const lh = height / folder.vaeScale;
  const c = folder.latentChannels;
  const sample = new ort.Tensor('float32', new Float32Array(2 * c * lh * lw), [2, c, lh, lw]);
  const latent = new ort.Tensor('float32', new Float32Array(c * lh * lw), [1, c, lh, lw]);
  const timestep = s.unetTimestep.shape.length === 0 ? new ort.Tensor('float32', new Float32Array([500]), []) : new ort.Tensor('float32', new Float32Array([500, 500]), [2]);
  return async () => {
    const hidden = (await s.textEncoder.run({ input_ids: ids }))[s.hiddenStateOutput]!;
    for (let i = 0; i < steps; i++) await s.unet.run({ sample, timestep, encoder_hidden_states: hidden });
    await s.vaeDecoder.run({ latent_sample: latent });
  };
}

const folder = await loadModelFolder(modelDir, threads);
const engine = createOnnxEngine('onnx', onnxEngineOptions({ type: 'onnx', model_dir: modelDir, threads, steps }, ROOT), log);
const side = folder.latentSize * folder.vaeScale;
const scheduler = schedulerForClass(folder.schedulerConfig._class_name) ?? 'euler';
process.stdout.write(`model ${modelDir}\nnative ${side}×${side}, ${steps} steps, ${scheduler}, guidance 4.25 (batch of 2), ${threads} threads; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}\n\n`);

const cases: Array<{ label: string; width: number; height: number; pipeline: () => Promise<unknown> }> = [
  {
    label: `native ${side}×${side} (png)`,
    width: side,
    height: side,
    pipeline: async () => {
      const [image] = await generate(folder, { prompt: 'a red circle above a blue square on a yellow background', width: side, height: side, steps, scheduler, guidance: 4.25, seeds: [1], signal });
      await encodeImage(image!, side, side, 'png');
    },
  },
  ...(['2048x2048(1:1)', '4096x4096(1:1)', '6198x2656(21:9)'] as const).map((size) => {
    const [w, h] = size.replace(/\(.*/, '').split('x').map(Number) as [number, number];
    const [gw, gh] = nativeSize(w, h, side, folder.vaeScale * folder.latentMultiple);
    return {
      label: `dreamina ${w}×${h} request (png; generated at ${gw}×${gh})`,
      width: gw,
      height: gh,
      pipeline: () => engine.run({ requestId: 'bench', modelId: 'bytedance/dreamina-4-0/text-to-image', attempt: 1, input: { prompt: 'a red circle above a blue square on a yellow background', 'width×height': size, scale: 0.5 }, files: {} }, { signal, progress: () => {}, workDir: '/tmp', log }),
    };
  }),
];

process.stdout.write('| case | pipeline s/image (median) | baseline: session.run calls only | overhead |\n|---|---|---|---|\n');
for (const c of cases) {
  const base = baseline(folder, c.width, c.height);
  await c.pipeline();
  await base();
  const p: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < rounds; i++) {
    p.push(await time(c.pipeline));
    b.push(await time(base));
  }
  process.stdout.write(`| ${c.label} | ${median(p).toFixed(3)} | ${median(b).toFixed(3)} | ${(median(p) - median(b)).toFixed(3)} |\n`);
}
process.stdout.write(`\npeak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB\n`);
await engine.close?.();
await folder.sessions.close();
