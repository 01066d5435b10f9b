/**
 * Scheduler timesteps, sigmas and steps against reference values computed with diffusers' own
 * formulas (EulerDiscreteScheduler / DDIMScheduler set_timesteps and step, transcribed to
 * torch float32 + numpy as diffusers runs them; python3-torch 1.13, numpy 1.24). Published
 * cross-check: SD's σ_max = 14.6146 and σ_min = 0.0292 (k-diffusion's sigma range for SD 1.x/2.x).
 * SD config: scaled_linear 0.00085–0.012, 1,000 steps (SD 1.5's scheduler_config.json).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { alphasCumprod, schedulerConfig } from '../../src/engines/onnx/noise-schedule.ts';
import { SeededRandom } from '../../src/engines/onnx/rng.ts';
import { createScheduler } from '../../src/engines/onnx/schedulers.ts';

const SD = { beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', num_train_timesteps: 1000 };
const close = (actual: number[], expected: number[], tolerance = 2e-5) => {
  assert.equal(actual.length, expected.length, `${actual} vs ${expected}`);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) <= tolerance * Math.max(1, Math.abs(expected[i]!)), `[${i}] ${v} vs ${expected[i]}`));
};

describe('noise schedules', () => {
  test('alphas_cumprod for scaled_linear and linear betas', () => {
    const scaled = alphasCumprod(schedulerConfig(SD));
    close([scaled[0]!, scaled[499]!, scaled[999]!], [0.9991499781608582, 0.2776694595813751, 0.0046600960195064545]);
    const linear = alphasCumprod(schedulerConfig({ beta_start: 0.0001, beta_end: 0.02, beta_schedule: 'linear' }));
    close([linear[0]!, linear[499]!, linear[999]!], [0.9998999834060669, 0.07858724147081375, 4.0358307160204276e-05], 1e-4);
  });
});

describe('Euler', () => {
  test('SD 1.5 (leading, steps_offset 1), 10 steps', () => {
    const s = createScheduler('euler', { ...SD, timestep_spacing: 'leading', steps_offset: 1 }, 10);
    assert.deepEqual(s.timesteps, [901, 801, 701, 601, 501, 401, 301, 201, 101, 1]);
    close(s.sigmas, [8.390686988830566, 5.134433269500732, 3.347764492034912, 2.2928547859191895, 1.6236928701400757, 1.1682164669036865, 0.8356532454490662, 0.5740507245063782, 0.3461872935295105, 0.04131447896361351, 0]);
    close([s.initNoiseSigma], [8.45006675385056]); // leading: sqrt(σmax² + 1)
  });

  test('SD-Turbo (trailing), 4 steps: σ_max = 14.6146', () => {
    const s = createScheduler('euler', { ...SD, timestep_spacing: 'trailing' }, 4);
    assert.deepEqual(s.timesteps, [999, 749, 499, 249]);
    close(s.sigmas, [14.614645004272461, 4.081730842590332, 1.6128870248794556, 0.6932054162025452, 0]);
    close([s.initNoiseSigma], [14.614645004272461]); // trailing: σmax
  });

  test('linspace keeps fractional timesteps and interpolates sigmas; σ_min = 0.0292', () => {
    const s = createScheduler('euler', SD, 5); // EulerDiscreteScheduler's default spacing is linspace
    assert.deepEqual(s.timesteps, [999, 749.25, 499.5, 249.75, 0]);
    close(s.sigmas, [14.614645004272461, 4.086089611053467, 1.6155833005905151, 0.6951509714126587, 0.029167532920837402, 0]);
  });

  test('scale_model_input and one step, epsilon and v_prediction', () => {
    const s = createScheduler('euler', { ...SD, timestep_spacing: 'trailing' }, 4);
    close([s.scaleModelInput(new Float32Array([1]), 0)[0]!], [1 / Math.sqrt(14.614645004272461 ** 2 + 1)]);
    const random = new SeededRandom(1);
    close([s.step(new Float32Array([0.3]), 0, new Float32Array([1]), random)[0]!], [-2.1598742485046385]);
    const v = createScheduler('euler', { ...SD, timestep_spacing: 'trailing', prediction_type: 'v_prediction' }, 4);
    close([v.step(new Float32Array([0.3]), 0, new Float32Array([1]), random)[0]!], [0.06694054099577529]);
  });

  test('Euler-ancestral: same schedule; the step lands at σ_down and adds σ_up of seeded noise', () => {
    const config = { ...SD, timestep_spacing: 'trailing' };
    const a = createScheduler('euler_a', config, 4);
    assert.deepEqual(a.timesteps, [999, 749, 499, 249]);
    // σ_up = 3.9193051653807314, σ_down = 1.1399884613333153 for σ 14.6146 → 4.0817
    const noise = new SeededRandom(7).normal();
    const x0 = 1 - 14.614645004272461 * 0.3;
    const expected = 1 + ((1 - x0) / 14.614645004272461) * (1.1399884613333153 - 14.614645004272461) + noise * 3.9193051653807314;
    close([a.step(new Float32Array([0.3]), 0, new Float32Array([1]), new SeededRandom(7))[0]!], [expected]);
    // the last step (σ → 0) adds no noise: it equals Euler's
    const e = createScheduler('euler', config, 4);
    close([a.step(new Float32Array([0.3]), 3, new Float32Array([1]), new SeededRandom(7))[0]!], [e.step(new Float32Array([0.3]), 3, new Float32Array([1]), new SeededRandom(7))[0]!]);
  });
});

describe('DDIM', () => {
  test('timestep spacings', () => {
    assert.deepEqual(createScheduler('ddim', { ...SD, steps_offset: 1 }, 10).timesteps, [901, 801, 701, 601, 501, 401, 301, 201, 101, 1]);
    // numpy rounds half to even: 832.5 → 832, 499.5 → 500, 166.5 → 166
    assert.deepEqual(createScheduler('ddim', { ...SD, timestep_spacing: 'linspace' }, 7).timesteps, [999, 832, 666, 500, 333, 166, 0]);
    assert.deepEqual(createScheduler('ddim', { ...SD, timestep_spacing: 'trailing' }, 3).timesteps, [999, 666, 332]);
    const s = createScheduler('ddim', SD, 10);
    assert.equal(s.initNoiseSigma, 1);
    assert.equal(s.scaleModelInput(new Float32Array([0.7]), 0)[0], Math.fround(0.7));
  });

  test('one step from t=901 to 801, epsilon and v_prediction; the last step uses set_alpha_to_one', () => {
    const config = { ...SD, steps_offset: 1, set_alpha_to_one: false };
    const random = new SeededRandom(1);
    close([createScheduler('ddim', config, 10).step(new Float32Array([0.2]), 0, new Float32Array([0.5]), random)[0]!], [0.6832049632176203]);
    close([createScheduler('ddim', { ...config, prediction_type: 'v_prediction' }, 10).step(new Float32Array([0.2]), 0, new Float32Array([0.5]), random)[0]!], [0.48390772496533513]);
    // t = 1 → prev −9: alpha_prev = 1 (set_alpha_to_one) makes the result the predicted x0
    const ac = alphasCumprod(schedulerConfig(SD));
    const x0 = (0.5 - Math.sqrt(1 - ac[1]!) * 0.2) / Math.sqrt(ac[1]!);
    close([createScheduler('ddim', { ...config, set_alpha_to_one: true }, 10).step(new Float32Array([0.2]), 9, new Float32Array([0.5]), random)[0]!], [x0]);
  });
});

describe('seeded noise', () => {
  test('the same seed gives the same normals; another seed does not; the values look standard normal', () => {
    const a = new SeededRandom(42).normals(20_000);
    assert.deepEqual(a, new SeededRandom(42).normals(20_000));
    assert.notDeepEqual(a, new SeededRandom(43).normals(20_000));
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    const variance = a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length;
    assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
    assert.ok(Math.abs(variance - 1) < 0.05, `variance ${variance}`);
  });
});
