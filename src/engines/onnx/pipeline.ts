/**
 * Text-to-image on the three sessions, as diffusers' OnnxStableDiffusionPipeline.__call__ does it:
 * encode the prompt (and "" for the unconditional branch when guidance > 1), start from seeded
 * noise × init_noise_sigma, per timestep run the UNet on scale_model_input(latents) (both branches
 * in one batch of 2 when the UNet's batch axis is dynamic, else two passes), combine
 * uncond + g·(cond − uncond), scheduler.step; then decode latents / scaling_factor one image at a
 * time and map [−1, 1] to bytes with (x/2 + 0.5)·255, rounded.
 */
import ort from 'onnxruntime-node';
import type { ModelFolder } from './model-folder.ts';
import type { InputInfo } from './sessions.ts';
import { SeededRandom } from './rng.ts';
import { createScheduler, type SchedulerName } from './schedulers.ts';

export interface GenerateOptions {
  prompt: string;
  /** Generation size in pixels: multiples of vaeScale × latentMultiple. */
  width: number;
  height: number;
  steps: number;
  scheduler: SchedulerName;
  /** Classifier-free guidance scale; ≤ 1 runs the conditional branch alone. */
  guidance: number;
  /** One image per seed. */
  seeds: number[];
  signal: AbortSignal;
  progress?: (fraction: number) => void;
}

export interface RawImage {
  width: number;
  height: number;
  /** RGB, 3 bytes per pixel, row major. */
  pixels: Buffer;
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

function idsTensor(info: InputInfo, rows: Int32Array[]): ort.Tensor {
  const length = rows[0]!.length;
  const flat = new Int32Array(rows.length * length);
  rows.forEach((row, i) => flat.set(row, i * length));
  const dims = [rows.length, length];
  return info.type === 'int64' ? new ort.Tensor('int64', BigInt64Array.from(flat, (v) => BigInt(v)), dims) : new ort.Tensor('int32', flat, dims);
}

function timestepTensor(info: InputInfo, t: number, batch: number): ort.Tensor {
  // Scalar in current Optimum exports; [1] or [batch] in older ones.
  const dims = info.shape.length === 0 ? [] : [info.shape[0] === 1 ? 1 : batch];
  const count = dims.length === 0 ? 1 : dims[0]!;
  if (info.type === 'int64') return new ort.Tensor('int64', new BigInt64Array(count).fill(BigInt(Math.round(t))), dims);
  if (info.type === 'int32') return new ort.Tensor('int32', new Int32Array(count).fill(Math.round(t)), dims);
  return new ort.Tensor('float32', new Float32Array(count).fill(t), dims);
}

/** A dynamic (named) batch axis takes both guidance branches at once. */
function batchable(shape: ReadonlyArray<number | string>): boolean {
  return typeof shape[0] !== 'number' || shape[0] >= 2;
}

/** last_hidden_state per prompt, and its [sequence, hidden] dims. */
async function encodeText(model: ModelFolder, prompts: string[]): Promise<{ embeds: Float32Array[]; dims: [number, number] }> {
  const { textEncoder, inputIds, hiddenStateOutput } = model.sessions;
  const rows = prompts.map((p) => model.tokenizer.encode(p));
  let dims: [number, number] = [0, 0];
  const run = async (batch: Int32Array[]) => {
    const out = await textEncoder.run({ [inputIds.name]: idsTensor(inputIds, batch) });
    const hidden = out[hiddenStateOutput]!;
    dims = [hidden.dims[1]!, hidden.dims[2]!];
    const data = hidden.data as Float32Array;
    const per = data.length / batch.length;
    return batch.map((_, i) => data.slice(i * per, (i + 1) * per));
  };
  const embeds = batchable(inputIds.shape) ? await run(rows) : (await Promise.all(rows.map((row) => run([row])))).flat();
  return { embeds, dims };
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export async function generate(model: ModelFolder, options: GenerateOptions): Promise<RawImage[]> {
  const { width, height, steps, guidance, seeds, signal } = options;
  const multiple = model.vaeScale * model.latentMultiple;
  if (width % multiple !== 0 || height % multiple !== 0) throw new Error(`generation size ${width}×${height} must be a multiple of ${multiple}`);
  const { unet, vaeDecoder, unetSample, unetTimestep } = model.sessions;
  const latentW = width / model.vaeScale;
  const latentH = height / model.vaeScale;
  const channels = model.latentChannels;
  const latentDims = [1, channels, latentH, latentW];
  const size = channels * latentH * latentW;
  const cfg = guidance > 1;
  throwIfAborted(signal);
  const { embeds, dims: [seqLen, hiddenSize] } = await encodeText(model, cfg ? ['', options.prompt] : [options.prompt]);
  const oneBatch = cfg && batchable(unetSample.shape);
  const images: RawImage[] = [];
  const total = seeds.length * steps;
  for (const [n, seed] of seeds.entries()) {
    const random = new SeededRandom(seed);
    const scheduler = createScheduler(options.scheduler, model.schedulerConfig, steps);
    let latents = random.normals(size);
    for (let i = 0; i < size; i++) latents[i]! *= scheduler.initNoiseSigma;
    for (const [index, t] of scheduler.timesteps.entries()) {
      throwIfAborted(signal);
      const input = scheduler.scaleModelInput(latents, index);
      const runUnet = async (sample: Float32Array, hidden: Float32Array, batch: number) => {
        const out = await unet.run({
          [unetSample.name]: new ort.Tensor('float32', sample, [batch, ...latentDims.slice(1)]),
          [unetTimestep.name]: timestepTensor(unetTimestep, t, batch),
          encoder_hidden_states: new ort.Tensor('float32', hidden, [batch, seqLen, hiddenSize]),
        });
        return out.out_sample!.data as Float32Array;
      };
      let noise: Float32Array;
      if (!cfg) noise = await runUnet(input, embeds[0]!, 1);
      else {
        const [uncond, cond] = oneBatch
          ? ((out) => [out.subarray(0, size), out.subarray(size)])(await runUnet(concat([input, input]), concat(embeds), 2))
          : [await runUnet(input, embeds[0]!, 1), await runUnet(input, embeds[1]!, 1)];
        noise = new Float32Array(size);
        for (let i = 0; i < size; i++) noise[i] = uncond![i]! + guidance * (cond![i]! - uncond![i]!);
      }
      latents = scheduler.step(noise, index, latents, random);
      options.progress?.((n * steps + index + 1) / total);
    }
    throwIfAborted(signal);
    const scaled = latents.map((v) => v / model.scalingFactor);
    const decoded = await vaeDecoder.run({ latent_sample: new ort.Tensor('float32', scaled, latentDims) });
    images.push(toRgb(decoded.sample!));
  }
  return images;
}

function toRgb(tensor: ort.Tensor): RawImage {
  const [, , h, w] = tensor.dims as number[];
  const data = tensor.data as Float32Array;
  const plane = h! * w!;
  const pixels = Buffer.alloc(plane * 3);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < plane; i++) {
      const v = Math.min(Math.max(data[c * plane + i]! / 2 + 0.5, 0), 1);
      pixels[i * 3 + c] = Math.round(v * 255);
    }
  }
  return { width: w!, height: h!, pixels };
}
