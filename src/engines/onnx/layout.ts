/**
 * The files a diffusion model folder must have: the layout Hugging Face Optimum's ONNX exporter
 * writes (folder names from optimum/utils/constant.py DIFFUSION_MODEL_*_SUBFOLDER, file name
 * ONNX_WEIGHTS_NAME = model.onnx). Kept apart from the loader so checking a folder does not load
 * onnxruntime.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const REQUIRED_FILES = [
  'model_index.json',
  'tokenizer/vocab.json',
  'text_encoder/model.onnx',
  'unet/model.onnx',
  'vae_decoder/model.onnx',
  'scheduler/scheduler_config.json',
] as const;

/** Throws, naming every missing file, if `dir` is not a complete export. */
export function checkModelFolder(dir: string): void {
  if (!existsSync(dir)) throw new Error(`model folder ${dir} does not exist`);
  const missing = REQUIRED_FILES.filter((file) => !existsSync(join(dir, file)));
  if (missing.length > 0) throw new Error(`model folder ${dir} is not a Hugging Face ONNX diffusion export: missing ${missing.join(', ')}`);
}

