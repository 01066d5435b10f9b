/**
 * The parts of a diffusers scheduler_config.json that every scheduler here shares: the training
 * noise schedule (betas → cumulative alphas) and how inference timesteps are spaced. Formulas from
 * diffusers' scheduling_ddim.py / scheduling_euler_discrete.py (`betas`, `set_timesteps`), computed
 * in float64 (diffusers uses float32 tensors; the difference is below 1e-6 relative).
 */

export type TimestepSpacing = 'leading' | 'trailing' | 'linspace';
export type PredictionType = 'epsilon' | 'v_prediction' | 'sample';

export interface SchedulerConfig {
  _class_name?: string;
  num_train_timesteps: number;
  beta_start: number;
  beta_end: number;
  beta_schedule: 'linear' | 'scaled_linear' | 'squaredcos_cap_v2';
  trained_betas: number[] | null;
  timestep_spacing: TimestepSpacing;
  steps_offset: number;
  prediction_type: PredictionType;
  set_alpha_to_one: boolean;
  clip_sample: boolean;
  clip_sample_range: number;
}

/** diffusers' defaults for the keys a config omits (DDIMScheduler / EulerDiscreteScheduler __init__). */
const DEFAULTS: SchedulerConfig = {
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: 'linear',
  trained_betas: null,
  // DDIMScheduler's default; EulerDiscreteScheduler's is "linspace" (see schedulerConfig's `spacing`).
  timestep_spacing: 'leading',
  steps_offset: 0,
  prediction_type: 'epsilon',
  set_alpha_to_one: true,
  clip_sample: false,
  clip_sample_range: 1,
};

/** `spacing` is the scheduler class's own default for a config without timestep_spacing. */
export function schedulerConfig(raw: Record<string, unknown>, spacing: TimestepSpacing = 'leading'): SchedulerConfig {
  const config = { ...DEFAULTS, timestep_spacing: spacing } as Record<string, unknown>;
  for (const [key, value] of Object.entries(raw)) if (value !== undefined && value !== null) config[key] = value;
  if (raw.trained_betas === null) config.trained_betas = null;
  const result = config as unknown as SchedulerConfig;
  if (!['leading', 'trailing', 'linspace'].includes(result.timestep_spacing)) throw new Error(`scheduler_config.json: unsupported timestep_spacing ${JSON.stringify(result.timestep_spacing)}`);
  if (!['epsilon', 'v_prediction', 'sample'].includes(result.prediction_type)) throw new Error(`scheduler_config.json: unsupported prediction_type ${JSON.stringify(result.prediction_type)}`);
  if (!['linear', 'scaled_linear', 'squaredcos_cap_v2'].includes(result.beta_schedule) && !result.trained_betas) throw new Error(`scheduler_config.json: unsupported beta_schedule ${JSON.stringify(result.beta_schedule)}`);
  return result;
}

function linspace(start: number, end: number, count: number): number[] {
  if (count === 1) return [start];
  return Array.from({ length: count }, (_, i) => start + ((end - start) * i) / (count - 1));
}

/** alphas_cumprod[t] for t = 0 … num_train_timesteps − 1. */
export function alphasCumprod(config: SchedulerConfig): Float64Array {
  const n = config.num_train_timesteps;
  let betas: number[];
  if (config.trained_betas) betas = config.trained_betas;
  else if (config.beta_schedule === 'linear') betas = linspace(config.beta_start, config.beta_end, n);
  else if (config.beta_schedule === 'scaled_linear') betas = linspace(Math.sqrt(config.beta_start), Math.sqrt(config.beta_end), n).map((b) => b * b);
  else {
    // betas_for_alpha_bar with the cosine alpha_bar, max_beta 0.999.
    const alphaBar = (t: number) => Math.cos(((t + 0.008) / 1.008) * Math.PI / 2) ** 2;
    betas = Array.from({ length: n }, (_, i) => Math.min(1 - alphaBar((i + 1) / n) / alphaBar(i / n), 0.999));
  }
  const out = new Float64Array(betas.length);
  let product = 1;
  betas.forEach((beta, i) => {
    product *= 1 - beta;
    out[i] = product;
  });
  return out;
}

/**
 * Inference timesteps, highest first, as diffusers' set_timesteps computes them:
 *   linspace: linspace(0, T−1, N) reversed (Euler keeps the fractions; DDIM rounds them)
 *   leading:  (arange(N) · (T div N)) reversed, + steps_offset
 *   trailing: round(arange(T, 0, −T/N)) − 1
 */
export function spacedTimesteps(config: SchedulerConfig, steps: number, integer: boolean): number[] {
  const T = config.num_train_timesteps;
  if (!Number.isInteger(steps) || steps < 1 || steps > T) throw new Error(`steps must be an integer from 1 to ${T}, got ${steps}`);
  if (config.timestep_spacing === 'linspace') {
    const values = linspace(0, T - 1, steps).reverse();
    return integer ? values.map(roundHalfEven) : values;
  }
  if (config.timestep_spacing === 'leading') {
    const ratio = Math.floor(T / steps);
    return Array.from({ length: steps }, (_, i) => i * ratio).reverse().map((t) => t + config.steps_offset);
  }
  const ratio = T / steps;
  const values: number[] = [];
  for (let i = 0; T - i * ratio > 0; i++) values.push(roundHalfEven(T - i * ratio) - 1);
  return values.slice(0, steps);
}

/** numpy's round (half to even). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
