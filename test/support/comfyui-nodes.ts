/**
 * The node classes the ComfyUI test double knows: just enough of each to validate a prompt the
 * way ComfyUI does (required inputs, INT ranges, combo lists such as installed model files,
 * LoadImage's file check; research §3.1) and to carry sizes through the graph, so a saved image
 * has the pixel size the real graph would give it and a saved video the real frame count.
 */
import sharp from 'sharp';

export type Value =
  | { kind: 'image'; width: number; height: number; count: number }
  | { kind: 'latent'; width: number; height: number; count: number }
  | { kind: 'video'; width: number; height: number; frames: number; fps: number }
  | { kind: 'opaque' };

export interface RunContext {
  /** Bytes of an uploaded input file by name, if present. */
  input(name: string): Buffer | undefined;
  /** Writes an output file; returns its history entry. */
  save(subfolderAndPrefix: string, extension: string, bytes: Buffer): { filename: string; subfolder: string; type: string };
}

export interface NodeClass {
  output?: boolean;
  /** Sampler nodes report progress per step. */
  sampler?: boolean;
  required: string[];
  ints?: Record<string, [min: number, max: number]>;
  combos?: Record<string, 'models' | string[]>;
  validate?(inputs: Record<string, unknown>, ctx: RunContext): string | undefined;
  run(inputs: Record<string, unknown>, ctx: RunContext): Promise<{ values: Value[]; ui?: Record<string, unknown> }> | { values: Value[]; ui?: Record<string, unknown> };
}

const MAX = 16384;
const opaque = (n = 1) => ({ values: Array.from({ length: n }, (): Value => ({ kind: 'opaque' })) });
const image = (v: unknown) => v as Extract<Value, { kind: 'image' }>;
const latent = (v: unknown) => v as Extract<Value, { kind: 'latent' }>;
const loader = (combo: string): NodeClass => ({ required: [combo], combos: { [combo]: 'models' }, run: () => opaque(3) });

/** A PNG of the given size, coloured from the seed, so different seeds give different bytes. */
async function png(width: number, height: number, seed: number): Promise<Buffer> {
  const background = { r: seed & 255, g: (seed >>> 8) & 255, b: (seed >>> 16) & 255 };
  return sharp({ create: { width, height, channels: 3, background } }).png({ compressionLevel: 1 }).toBuffer();
}

/**
 * A stand-in for an MP4: a real `ftyp` box, then a `free` box holding the video's facts as JSON
 * (tests read them back with readFakeVideo). Not playable; the double has no encoder.
 */
export function fakeVideo(facts: Record<string, unknown>): Buffer {
  const ftyp = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypisom'), Buffer.from([0, 0, 2, 0]), Buffer.from('isomiso2')]);
  const json = Buffer.from(JSON.stringify(facts));
  const size = Buffer.alloc(4);
  size.writeUInt32BE(8 + json.length);
  return Buffer.concat([ftyp, size, Buffer.from('free'), json]);
}

export function readFakeVideo(bytes: Buffer): Record<string, unknown> {
  if (bytes.subarray(4, 8).toString() !== 'ftyp' || bytes.subarray(28, 32).toString() !== 'free') throw new Error('not a fake video from the ComfyUI double');
  return JSON.parse(bytes.subarray(32).toString()) as Record<string, unknown>;
}

export const NODE_CLASSES: Record<string, NodeClass> = {
  UNETLoader: loader('unet_name'),
  VAELoader: loader('vae_name'),
  CLIPLoader: loader('clip_name'),
  DualCLIPLoader: { required: ['clip_name1', 'clip_name2', 'type'], combos: { clip_name1: 'models', clip_name2: 'models' }, run: () => opaque() },
  CLIPTextEncode: { required: ['text', 'clip'], run: () => opaque() },
  FluxGuidance: { required: ['guidance', 'conditioning'], run: () => opaque() },
  DifferentialDiffusion: { required: ['model'], run: () => opaque() },
  ModelSamplingSD3: { required: ['shift', 'model'], run: () => opaque() },
  KSamplerSelect: { required: ['sampler_name'], run: () => opaque() },
  BasicScheduler: { required: ['scheduler', 'steps', 'denoise', 'model'], ints: { steps: [1, 10000] }, run: () => opaque() },
  BasicGuider: { required: ['model', 'conditioning'], run: () => opaque() },
  RandomNoise: { required: ['noise_seed'], ints: { noise_seed: [0, Number.MAX_SAFE_INTEGER] }, run: () => opaque() },
  EmptyLatentImage: {
    required: ['width', 'height', 'batch_size'],
    ints: { width: [16, MAX], height: [16, MAX], batch_size: [1, 4096] },
    run: (i) => ({ values: [{ kind: 'latent', width: Number(i.width), height: Number(i.height), count: Number(i.batch_size) }] }),
  },
  SamplerCustomAdvanced: {
    sampler: true,
    required: ['noise', 'guider', 'sampler', 'sigmas', 'latent_image'],
    run: (i) => ({ values: [latent(i.latent_image), latent(i.latent_image)] }),
  },
  KSampler: {
    sampler: true,
    required: ['model', 'seed', 'steps', 'cfg', 'sampler_name', 'scheduler', 'positive', 'negative', 'latent_image', 'denoise'],
    ints: { seed: [0, Number.MAX_SAFE_INTEGER], steps: [1, 10000] },
    run: (i) => ({ values: [latent(i.latent_image)] }),
  },
  VAEDecode: {
    required: ['samples', 'vae'],
    run: (i) => {
      const l = latent(i.samples);
      return { values: [{ kind: 'image', width: l.width, height: l.height, count: l.count }] };
    },
  },
  LoadImage: {
    required: ['image'],
    validate: (i, ctx) => (ctx.input(String(i.image)) ? undefined : `Invalid image file: ${String(i.image)}`),
    run: async (i, ctx) => {
      const meta = await sharp(ctx.input(String(i.image))).metadata();
      return { values: [{ kind: 'image', width: meta.width ?? 0, height: meta.height ?? 0, count: 1 }, { kind: 'opaque' }] };
    },
  },
  ImageScale: {
    required: ['upscale_method', 'width', 'height', 'crop', 'image'],
    ints: { width: [0, MAX], height: [0, MAX] },
    combos: { upscale_method: ['nearest-exact', 'bilinear', 'area', 'bicubic', 'lanczos'], crop: ['disabled', 'center'] },
    run: (i) => ({ values: [{ kind: 'image', width: Number(i.width), height: Number(i.height), count: image(i.image).count }] }),
  },
  ImagePadForOutpaint: {
    required: ['image', 'left', 'top', 'right', 'bottom', 'feathering'],
    ints: { left: [0, MAX], top: [0, MAX], right: [0, MAX], bottom: [0, MAX], feathering: [0, MAX] },
    run: (i) => {
      const source = image(i.image);
      const padded: Value = { kind: 'image', width: source.width + Number(i.left) + Number(i.right), height: source.height + Number(i.top) + Number(i.bottom), count: source.count };
      return { values: [padded, { kind: 'opaque' }] };
    },
  },
  InpaintModelConditioning: {
    required: ['positive', 'negative', 'vae', 'pixels', 'mask', 'noise_mask'],
    run: (i) => {
      const pixels = image(i.pixels);
      return { values: [{ kind: 'opaque' }, { kind: 'opaque' }, { kind: 'latent', width: pixels.width, height: pixels.height, count: pixels.count }] };
    },
  },
  Wan22ImageToVideoLatent: {
    required: ['vae', 'width', 'height', 'length', 'batch_size'],
    ints: { width: [32, MAX], height: [32, MAX], length: [1, MAX], batch_size: [1, 4096] },
    run: (i) => ({ values: [{ kind: 'latent', width: Number(i.width), height: Number(i.height), count: Number(i.length) }] }),
  },
  ImageFromBatch: {
    required: ['image', 'batch_index', 'length'],
    ints: { batch_index: [0, 4095], length: [1, 4096] },
    run: (i) => {
      const source = image(i.image);
      return { values: [{ ...source, count: Math.max(0, Math.min(Number(i.length), source.count - Number(i.batch_index))) }] };
    },
  },
  CreateVideo: {
    required: ['images', 'fps'],
    run: (i) => {
      const frames = image(i.images);
      return { values: [{ kind: 'video', width: frames.width, height: frames.height, frames: frames.count, fps: Number(i.fps) }] };
    },
  },
  SaveImage: {
    output: true,
    required: ['images', 'filename_prefix'],
    run: async (i, ctx) => {
      const source = image(i.images);
      const images = [];
      for (let n = 0; n < source.count; n++) images.push(ctx.save(String(i.filename_prefix), 'png', await png(source.width, source.height, n * 7919 + 1)));
      return { values: [], ui: { images } };
    },
  },
  SaveVideo: {
    output: true,
    required: ['video', 'filename_prefix', 'format', 'codec'],
    combos: { format: ['auto', 'mp4'], codec: ['auto', 'h264'] },
    run: (i, ctx) => {
      const video = i.video as Extract<Value, { kind: 'video' }>;
      const file = ctx.save(String(i.filename_prefix), 'mp4', fakeVideo({ width: video.width, height: video.height, frames: video.frames, fps: video.fps, codec: i.codec }));
      // SaveVideo reports under "images" with animated: [true] (research §3.2).
      return { values: [], ui: { images: [file], animated: [true] } };
    },
  },
};

/** The model files the double "has installed": what the bundled workflows expect (docs/engines.md). */
export const INSTALLED_MODEL_FILES = [
  'flux1-schnell.safetensors', 'flux1-fill-dev.safetensors', 't5xxl_fp16.safetensors', 'clip_l.safetensors', 'ae.safetensors',
  'wan2.2_ti2v_5B_fp16.safetensors', 'umt5_xxl_fp8_e4m3fn_scaled.safetensors', 'wan2.2_vae.safetensors',
];
