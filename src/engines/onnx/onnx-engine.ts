/**
 * The `onnx` engine: text-to-image in-process on onnxruntime-node, from a diffusion model folder in
 * Hugging Face Optimum's ONNX layout. Options (MODELGATE_CONFIG `engines.NAME`):
 *   model_dir   the export folder (relative to the config file); default: the bundled models/tiny-shapes/
 *   threads     onnxruntime intra-op threads (default: the machine's cores)
 *   steps       denoising steps (default 20)
 *   scheduler   "auto" (scheduler_config.json's class; Euler when it is another class) | euler | euler_a | ddim
 *   guidance_max  the guidance dreamina's scale 1 maps to (default 7.5)
 *   guidance    a fixed guidance for every request (e.g. 0 for SD-Turbo), overriding the mapping
 *   native_size the model's native side in pixels (default unet sample_size × VAE scale)
 *   upscale     "lanczos" | "flat" (flat-colour edges, flat-upscale.ts); default: flat for the
 *               bundled model, lanczos for any other
 * Sessions are opened once, on the first job, and reused; jobs run one at a time (each already
 * uses every thread it is given). On the bundled model a prompt outside its domain still runs, and
 * its result carries a notice saying what the model draws and how to configure a real one.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { Logger } from 'pino';
import type { EngineConfig } from '../../config.ts';
import { EngineError, type Engine, type EngineOutput, type EngineResult } from '../engine.ts';
import { BUNDLED_START_NOTICE, outsideDomainNotice, readShapesDomain, type ShapesDomain } from './bundled-domain.ts';
import { DREAMINA, SEEDREAM, nativeSize, planFor } from './catalog-mapping.ts';
import { flatUpscale } from './flat-upscale.ts';
import { checkModelFolder } from './layout.ts';
import type { ModelFolder } from './model-folder.ts';
import type { RawImage } from './pipeline.ts';
import { SCHEDULER_NAMES, schedulerForClass, type SchedulerName } from './schedulers.ts';

/** The bundled model, trained by training/train-tiny-shapes.py (see models/tiny-shapes/manifest.json). */
export const BUNDLED_MODEL_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../models/tiny-shapes');

export const EXPORT_HINT =
  'Export an SD-family model with Hugging Face Optimum, e.g. `optimum-cli export onnx --model stabilityai/sd-turbo --task text-to-image sd-turbo-onnx/`, ' +
  'and point the engine at the folder in MODELGATE_CONFIG: {"engines": {"onnx": {"type": "onnx", "model_dir": "sd-turbo-onnx", "steps": 2, "guidance": 0}}} (see docs/engines.md, "onnx")';

export interface OnnxEngineOptions {
  modelDir: string;
  threads: number;
  steps: number;
  scheduler: SchedulerName | 'auto';
  guidanceMax: number;
  guidance: number | undefined;
  nativeSide: number | undefined;
  upscale: Upscale;
  /** The bundled model's domain: prompts outside it get a notice (bundled-domain.ts). Absent for any other model. */
  shapesDomain?: ShapesDomain;
}

export type Upscale = 'lanczos' | 'flat';

function numberOption(options: EngineConfig, key: string, min: number, max: number, integer: boolean): number | undefined {
  const value = options[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new Error(`option ${key} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Reads and checks the options; throws (the registry reports engine_unavailable) when no model can be found. */
export function onnxEngineOptions(options: EngineConfig, baseDir: string): OnnxEngineOptions {
  const scheduler = options.scheduler ?? 'auto';
  if (scheduler !== 'auto' && !SCHEDULER_NAMES.includes(scheduler as SchedulerName)) {
    throw new Error(`option scheduler must be one of auto, ${SCHEDULER_NAMES.join(', ')}, got ${JSON.stringify(scheduler)}`);
  }
  if (options.upscale !== undefined && options.upscale !== 'lanczos' && options.upscale !== 'flat') {
    throw new Error(`option upscale must be lanczos or flat, got ${JSON.stringify(options.upscale)}`);
  }
  let modelDir: string;
  if (options.model_dir === undefined) {
    if (!existsSync(BUNDLED_MODEL_DIR)) throw new Error(`no model_dir is configured and the bundled model (models/tiny-shapes/) is missing from this install. ${EXPORT_HINT}`);
    modelDir = BUNDLED_MODEL_DIR;
  } else {
    if (typeof options.model_dir !== 'string' || options.model_dir === '') throw new Error('option model_dir must be a folder path');
    modelDir = resolve(baseDir, options.model_dir);
  }
  try {
    checkModelFolder(modelDir);
  } catch (error) {
    throw new Error(`${(error as Error).message}. ${EXPORT_HINT}`);
  }
  const bundled = modelDir === BUNDLED_MODEL_DIR;
  return {
    modelDir,
    threads: numberOption(options, 'threads', 1, 256, true) ?? availableParallelism(),
    steps: numberOption(options, 'steps', 1, 1000, true) ?? 20,
    scheduler: scheduler as SchedulerName | 'auto',
    guidanceMax: numberOption(options, 'guidance_max', 0, 50, false) ?? 7.5,
    // The bundled model follows its prompts best unguided (measured: guidance 1.25–4.25 saturates
    // colours and breaks shapes; docs/benchmarks.md), so dreamina's `scale` does not apply to it.
    guidance: numberOption(options, 'guidance', 0, 50, false) ?? (bundled ? 1 : undefined),
    nativeSide: numberOption(options, 'native_size', 8, 4096, true),
    upscale: (options.upscale as Upscale | undefined) ?? (bundled ? 'flat' : 'lanczos'),
    ...(bundled ? { shapesDomain: readShapesDomain(modelDir) } : {}),
  };
}

export async function encodeImage(image: RawImage, width: number, height: number, format: 'png' | 'jpeg', upscale: Upscale = 'lanczos'): Promise<Buffer> {
  // Raw pixels in, so sharp's restricted input loaders (src/inputs/probe-image.ts) are not involved.
  const pipeline = upscale === 'flat'
    ? sharp(await flatUpscale(image, width, height), { raw: { width, height, channels: 3 } })
    : sharp(image.pixels, { raw: { width: image.width, height: image.height, channels: 3 } }).resize(width, height, { fit: 'cover', kernel: 'lanczos3' });
  return format === 'jpeg' ? pipeline.jpeg({ quality: 92 }).toBuffer() : pipeline.png({ compressionLevel: 6 }).toBuffer();
}

export function createOnnxEngine(name: string, options: OnnxEngineOptions, log: Logger): Engine {
  let loading: Promise<ModelFolder> | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  const model = () => {
    // onnxruntime is loaded with the first job, so processes that never run one do not carry it.
    loading ??= import('./model-folder.ts').then(({ loadModelFolder }) => loadModelFolder(options.modelDir, options.threads)).then((folder) => {
      log.info({ modelDir: options.modelDir, threads: options.threads }, 'onnx model loaded');
      return folder;
    });
    loading.catch(() => { loading = undefined; });
    return loading;
  };
  return {
    name,
    type: 'onnx',
    ...(options.shapesDomain ? { startNotice: BUNDLED_START_NOTICE } : {}),
    run(job, context) {
      const plan = planFor(job.modelId, job.input);
      if (!plan) {
        return Promise.reject(new EngineError('engine_unavailable', `The onnx engine runs text-to-image models (${DREAMINA}, ${SEEDREAM}), not ${job.modelId}. Route this model to another engine in MODELGATE_CONFIG (see docs/engines.md).`));
      }
      const notice = options.shapesDomain && outsideDomainNotice(options.shapesDomain, plan.prompt);
      const task = queue.then(async (): Promise<EngineResult> => {
        const folder = await model();
        const schedulerName = options.scheduler === 'auto' ? schedulerForClass(folder.schedulerConfig._class_name) ?? 'euler' : options.scheduler;
        const guidance = options.guidance ?? 1 + (plan.scale ?? 0.5) * (options.guidanceMax - 1);
        const [width, height] = nativeSize(plan.width, plan.height, options.nativeSide ?? folder.latentSize * folder.vaeScale, folder.vaeScale * folder.latentMultiple);
        const { generate } = await import('./pipeline.ts');
        const images = await generate(folder, {
          prompt: plan.prompt,
          width,
          height,
          steps: options.steps,
          scheduler: schedulerName,
          guidance,
          seeds: Array.from({ length: plan.count }, (_, i) => (plan.seed + i) >>> 0),
          signal: context.signal,
          progress: (fraction) => context.progress(fraction * 0.95),
        });
        const outputs: EngineOutput[] = [];
        for (const image of images) {
          const data = await encodeImage(image, plan.width, plan.height, plan.format, options.upscale);
          outputs.push({ kind: 'image', contentType: plan.format === 'png' ? 'image/png' : 'image/jpeg', extension: plan.format === 'png' ? 'png' : 'jpg', data });
        }
        context.progress(1);
        return { outputs, notices: notice ? [notice] : [] };
      });
      queue = task.catch(() => undefined);
      return task;
    },
    async close() {
      const folder = await loading?.catch(() => undefined);
      await folder?.sessions.close();
    },
  };
}
