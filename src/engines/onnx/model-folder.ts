/**
 * Loads a diffusion model folder in the layout Hugging Face Optimum's ONNX exporter writes
 * (`optimum-cli export onnx --task text-to-image`; folder names from optimum/utils/constant.py
 * DIFFUSION_MODEL_*_SUBFOLDER, file name ONNX_WEIGHTS_NAME = model.onnx):
 *   model_index.json
 *   tokenizer/vocab.json, merges.txt, tokenizer_config.json, special_tokens_map.json
 *   text_encoder/model.onnx           unet/model.onnx (+ config.json)
 *   vae_decoder/model.onnx (+ config.json)   scheduler/scheduler_config.json
 * and opens one onnxruntime session per model, once, checking each model's input and output
 * names against what Optimum exports (see model_configs.py, cited in sessions.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkModelFolder } from './layout.ts';
import { loadTokenizer, type Tokenizer } from './tokenizer.ts';
import { openSessions, type ModelSessions } from './sessions.ts';

export interface ModelFolder {
  dir: string;
  tokenizer: Tokenizer;
  sessions: ModelSessions;
  schedulerConfig: Record<string, unknown>;
  /** Latent side the UNet was trained at (unet/config.json sample_size). */
  latentSize: number;
  /** Pixels per latent cell: 2^(len(vae block_out_channels) − 1), as diffusers' vae_scale_factor. */
  vaeScale: number;
  /** Latent sides must be a multiple of this (each UNet down block halves): 2^(len(unet block_out_channels) − 1). */
  latentMultiple: number;
  latentChannels: number;
  /** vae config scaling_factor (0.18215 for SD 1.x/2.x): latents are divided by it before decoding. */
  scalingFactor: number;
}

function readJson(path: string): Record<string, unknown> {
  if (!existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`${path} is not valid JSON: ${(error as Error).message}`);
  }
}

const number = (value: unknown, fallback: number) => (typeof value === 'number' && Number.isFinite(value) ? value : fallback);
const listLength = (value: unknown) => (Array.isArray(value) ? value.length : undefined);

export async function loadModelFolder(dir: string, threads: number): Promise<ModelFolder> {
  checkModelFolder(dir);
  const unetConfig = readJson(join(dir, 'unet', 'config.json'));
  const vaeConfig = readJson(join(dir, 'vae_decoder', 'config.json'));
  const sessions = await openSessions(dir, threads);
  const sampleShape = sessions.unetSample.shape;
  const vaeBlocks = listLength(vaeConfig.block_out_channels);
  const unetBlocks = listLength(unetConfig.block_out_channels);
  return {
    dir,
    tokenizer: loadTokenizer(join(dir, 'tokenizer')),
    sessions,
    schedulerConfig: readJson(join(dir, 'scheduler', 'scheduler_config.json')),
    latentSize: number(unetConfig.sample_size, typeof sampleShape[2] === 'number' ? sampleShape[2] : 64),
    vaeScale: vaeBlocks ? 2 ** (vaeBlocks - 1) : 8,
    latentMultiple: unetBlocks ? 2 ** (unetBlocks - 1) : 8,
    latentChannels: typeof sampleShape[1] === 'number' ? sampleShape[1] : number(unetConfig.in_channels, number(vaeConfig.latent_channels, 4)),
    scalingFactor: number(vaeConfig.scaling_factor, 0.18215),
  };
}
