/**
 * The three onnxruntime sessions of a diffusion export, with the input/output names and dtypes
 * Hugging Face Optimum writes (optimum/exporters/onnx/model_configs.py, before the exporters
 * moved to optimum-onnx):
 *   CLIPTextOnnxConfig:    inputs  input_ids {0: batch_size, 1: sequence_length}
 *                          outputs last_hidden_state {0: batch_size, 1: sequence_length}, pooler_output
 *                          (input_ids is int64 from Optimum's dummy inputs; diffusers' older
 *                          convert script exported int32 — OnnxStableDiffusionPipeline casts to
 *                          np.int32 — so the dtype is read from the model, not assumed)
 *   UNetOnnxConfig:        inputs  sample {0: batch_size, 2: height, 3: width},
 *                                  timestep {} ("a scalar with no dimension", float from
 *                                  DummyTimestepInputGenerator; older exports: shape [batch], int64
 *                                  or float — ORTUnet unsqueezes when the model's timestep has a
 *                                  dimension, and diffusers reads its dtype from the session),
 *                                  encoder_hidden_states {0: batch_size, 1: sequence_length}
 *                          outputs out_sample {0: batch_size, 2: height, 3: width}
 *   VaeDecoderOnnxConfig:  inputs  latent_sample {0: batch_size, 2: latent_height, 3: latent_width}
 *                          outputs sample
 * One session per model per engine, created once and reused for every job.
 */
import { join } from 'node:path';
import ort from 'onnxruntime-node';

export type OrtSession = ort.InferenceSession;
export interface InputInfo {
  name: string;
  type: string;
  shape: ReadonlyArray<number | string>;
}

export interface ModelSessions {
  textEncoder: OrtSession;
  unet: OrtSession;
  vaeDecoder: OrtSession;
  inputIds: InputInfo;
  unetSample: InputInfo;
  unetTimestep: InputInfo;
  /** Name of the text encoder's hidden-state output (last_hidden_state). */
  hiddenStateOutput: string;
  close(): Promise<void>;
}

function inputInfo(session: OrtSession, model: string, name: string): InputInfo {
  const meta = session.inputMetadata.find((m) => m.name === name);
  if (!meta) {
    throw new Error(`${model}/model.onnx has no input named "${name}" (its inputs: ${session.inputNames.join(', ')}); expected the names Hugging Face Optimum exports`);
  }
  if (!meta.isTensor) throw new Error(`${model}/model.onnx input "${name}" is not a tensor`);
  return { name, type: meta.type, shape: meta.shape };
}

function requireOutput(session: OrtSession, model: string, name: string): string {
  if (!session.outputNames.includes(name)) {
    throw new Error(`${model}/model.onnx has no output named "${name}" (its outputs: ${session.outputNames.join(', ')}); expected the names Hugging Face Optimum exports`);
  }
  return name;
}

export async function openSessions(dir: string, threads: number): Promise<ModelSessions> {
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  };
  const open = (model: string) => ort.InferenceSession.create(join(dir, model, 'model.onnx'), options);
  const [textEncoder, unet, vaeDecoder] = await Promise.all([open('text_encoder'), open('unet'), open('vae_decoder')]);
  const sessions = [textEncoder, unet, vaeDecoder];
  try {
    const inputIds = inputInfo(textEncoder, 'text_encoder', 'input_ids');
    if (inputIds.type !== 'int32' && inputIds.type !== 'int64') throw new Error(`text_encoder input_ids is ${inputIds.type}, expected int32 or int64`);
    const unetSample = inputInfo(unet, 'unet', 'sample');
    const unetTimestep = inputInfo(unet, 'unet', 'timestep');
    inputInfo(unet, 'unet', 'encoder_hidden_states');
    inputInfo(vaeDecoder, 'vae_decoder', 'latent_sample');
    const extra = unet.inputNames.filter((n) => !['sample', 'timestep', 'encoder_hidden_states'].includes(n));
    if (extra.length > 0) throw new Error(`unet/model.onnx also needs ${extra.join(', ')} (an SDXL-style or LCM UNet); this engine runs SD 1.x/2.x-style UNets`);
    for (const [model, info] of [['unet', unetSample], ['unet', unetTimestep]] as const) {
      if (info.type !== 'float32' && !(info.name === 'timestep' && (info.type === 'int64' || info.type === 'int32'))) {
        throw new Error(`${model} input ${info.name} is ${info.type}; export the model in float32 (Optimum's default, without --fp16)`);
      }
    }
    requireOutput(unet, 'unet', 'out_sample');
    requireOutput(vaeDecoder, 'vae_decoder', 'sample');
    return {
      textEncoder,
      unet,
      vaeDecoder,
      inputIds,
      unetSample,
      unetTimestep,
      hiddenStateOutput: requireOutput(textEncoder, 'text_encoder', 'last_hidden_state'),
      close: async () => {
        await Promise.all(sessions.map((s) => s.release()));
      },
    };
  } catch (error) {
    await Promise.all(sessions.map((s) => s.release()));
    throw error;
  }
}
