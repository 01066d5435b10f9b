/**
 * Euler, Euler-ancestral and DDIM, as diffusers' EulerDiscreteScheduler,
 * EulerAncestralDiscreteScheduler and DDIMScheduler (eta 0) do them, driven by scheduler_config.json.
 * Each works on flat Float32Array latents; the pipeline calls, per timestep:
 *   modelInput = scaleModelInput(latents, i); out = unet(modelInput, timesteps[i]); latents = step(out, i, latents)
 * starting from noise × initNoiseSigma.
 */
import { alphasCumprod, roundHalfEven, schedulerConfig, spacedTimesteps, type SchedulerConfig } from './noise-schedule.ts';
import type { SeededRandom } from './rng.ts';

export type SchedulerName = 'euler' | 'euler_a' | 'ddim';
export const SCHEDULER_NAMES: readonly SchedulerName[] = ['euler', 'euler_a', 'ddim'];

export interface Scheduler {
  readonly name: SchedulerName;
  /** What the UNet is given as its timestep, one per step (fractional for Euler with linspace). */
  readonly timesteps: number[];
  /** Euler: the noise level per step plus a final 0; DDIM: empty. */
  readonly sigmas: number[];
  readonly initNoiseSigma: number;
  scaleModelInput(sample: Float32Array, index: number): Float32Array;
  step(modelOutput: Float32Array, index: number, sample: Float32Array, random: SeededRandom): Float32Array;
}

/** scheduler_config.json's `_class_name` → our name (null: not one of ours). */
export function schedulerForClass(className: unknown): SchedulerName | null {
  if (className === 'EulerDiscreteScheduler') return 'euler';
  if (className === 'EulerAncestralDiscreteScheduler') return 'euler_a';
  if (className === 'DDIMScheduler') return 'ddim';
  return null;
}

export function createScheduler(name: SchedulerName, raw: Record<string, unknown>, steps: number): Scheduler {
  // Each class's own default spacing applies when the config has none.
  const config = schedulerConfig(raw, name === 'ddim' ? 'leading' : 'linspace');
  return name === 'ddim' ? ddim(config, steps) : euler(config, steps, name === 'euler_a');
}

function interpolate(x: number, table: Float64Array): number {
  const i = Math.min(Math.max(Math.floor(x), 0), table.length - 1);
  const j = Math.min(i + 1, table.length - 1);
  return table[i]! + (table[j]! - table[i]!) * (x - i);
}

function euler(config: SchedulerConfig, steps: number, ancestral: boolean): Scheduler {
  const ac = alphasCumprod(config);
  const trainSigmas = ac.map((a) => Math.sqrt((1 - a) / a));
  // Euler keeps fractional linspace timesteps (float32 in diffusers) and interpolates sigmas.
  const timesteps = spacedTimesteps(config, steps, false).map((t) => Math.fround(t));
  const sigmas = [...timesteps.map((t) => interpolate(t, trainSigmas)), 0];
  const maxSigma = Math.max(...sigmas);
  // EulerDiscreteScheduler.init_noise_sigma: max sigma for linspace/trailing spacing, else sqrt(max²+1).
  const initNoiseSigma = config.timestep_spacing === 'linspace' || config.timestep_spacing === 'trailing' ? maxSigma : Math.sqrt(maxSigma ** 2 + 1);
  return {
    name: ancestral ? 'euler_a' : 'euler',
    timesteps,
    sigmas,
    initNoiseSigma,
    scaleModelInput(sample, index) {
      const scale = 1 / Math.sqrt(sigmas[index]! ** 2 + 1);
      return sample.map((v) => v * scale);
    },
    step(output, index, sample, random) {
      const sigma = sigmas[index]!;
      const next = sigmas[index + 1]!;
      const out = new Float32Array(sample.length);
      // pred_original_sample per prediction_type, then the Euler step along (x − x0)/σ.
      const vScale = -sigma / Math.sqrt(sigma ** 2 + 1);
      const vSample = 1 / (sigma ** 2 + 1);
      let sigmaUp = 0;
      let target = next;
      if (ancestral) {
        sigmaUp = Math.sqrt((next ** 2 * (sigma ** 2 - next ** 2)) / sigma ** 2);
        target = Math.sqrt(next ** 2 - sigmaUp ** 2);
      }
      const dt = target - sigma;
      for (let i = 0; i < sample.length; i++) {
        const x = sample[i]!;
        const m = output[i]!;
        const x0 = config.prediction_type === 'epsilon' ? x - sigma * m
          : config.prediction_type === 'v_prediction' ? m * vScale + x * vSample
          : m;
        out[i] = x + ((x - x0) / sigma) * dt;
      }
      if (ancestral && sigmaUp > 0) for (let i = 0; i < out.length; i++) out[i]! += random.normal() * sigmaUp;
      return out;
    },
  };
}

function ddim(config: SchedulerConfig, steps: number): Scheduler {
  const ac = alphasCumprod(config);
  const timesteps = spacedTimesteps(config, steps, true).map(roundHalfEven);
  const finalAlpha = config.set_alpha_to_one ? 1 : ac[0]!;
  const stride = Math.floor(config.num_train_timesteps / steps);
  return {
    name: 'ddim',
    timesteps,
    sigmas: [],
    initNoiseSigma: 1,
    scaleModelInput: (sample) => sample,
    step(output, index, sample) {
      const t = timesteps[index]!;
      const prev = t - stride;
      const a = ac[t]!;
      const aPrev = prev >= 0 ? ac[prev]! : finalAlpha;
      const sa = Math.sqrt(a);
      const sb = Math.sqrt(1 - a);
      const saPrev = Math.sqrt(aPrev);
      const sbPrev = Math.sqrt(1 - aPrev);
      const range = config.clip_sample_range;
      const out = new Float32Array(sample.length);
      for (let i = 0; i < sample.length; i++) {
        const x = sample[i]!;
        const m = output[i]!;
        let x0: number;
        let eps: number;
        if (config.prediction_type === 'epsilon') {
          x0 = (x - sb * m) / sa;
          eps = m;
        } else if (config.prediction_type === 'v_prediction') {
          x0 = sa * x - sb * m;
          eps = sa * m + sb * x;
        } else {
          x0 = m;
          eps = (x - sa * x0) / sb;
        }
        if (config.clip_sample) x0 = Math.min(Math.max(x0, -range), range);
        out[i] = saPrev * x0 + sbPrev * eps;
      }
      return out;
    },
  };
}
