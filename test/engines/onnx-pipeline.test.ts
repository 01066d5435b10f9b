/**
 * The onnx engine end to end on test/fixtures/tiny-sd-onnx (a tiny random export with Optimum's
 * exact names, dtypes and dynamic axes, made by training/make-tiny-sd-onnx.py): the layout loads,
 * every catalog size comes back at exactly the requested pixels, the same request gives the same
 * bytes, abort is honoured, png vs jpeg, and no model means a clear engine_unavailable.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import sharp from 'sharp';
import { toEngineResult, type Engine, type EngineOutput } from '../../src/engines/engine.ts';
import { aspectFromPrompt, nativeSize } from '../../src/engines/onnx/catalog-mapping.ts';
import { loadModelFolder } from '../../src/engines/onnx/model-folder.ts';
import { BUNDLED_MODEL_DIR, createOnnxEngine, onnxEngineOptions } from '../../src/engines/onnx/onnx-engine.ts';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'tiny-sd-onnx');
const DREAMINA = 'bytedance/dreamina-4-0/text-to-image';
const SEEDREAM = 'bytedance/seedream-5/lite/text-to-image';
const log = pino({ level: 'silent' });

function engineWith(options: Record<string, unknown> = {}): Engine {
  return createOnnxEngine('onnx', onnxEngineOptions({ type: 'onnx', model_dir: FIXTURE, threads: 2, steps: 3, ...options }, process.cwd()), log);
}

async function run(engine: Engine, modelId: string, input: Record<string, unknown>, signal = new AbortController().signal, progress: (f: number) => void = () => {}): Promise<EngineOutput[]> {
  return toEngineResult(await engine.run({ requestId: 'r', modelId, attempt: 1, input, files: {} }, { signal, progress, workDir: tmpdir(), log })).outputs;
}

const meta = (output: EngineOutput) => sharp(output.data as Buffer).metadata();

describe('onnx engine on the tiny Optimum-layout export', () => {
  let engine: Engine;
  before(() => {
    engine = engineWith();
  });
  after(() => engine.close?.());

  test('the layout loads with Optimum\'s names, dtypes and shapes', async () => {
    const folder = await loadModelFolder(FIXTURE, 1);
    try {
      const s = folder.sessions;
      assert.deepEqual(s.textEncoder.inputNames, ['input_ids']);
      assert.deepEqual(s.inputIds.type, 'int64');
      assert.deepEqual(s.inputIds.shape, ['batch_size', 'sequence_length']);
      assert.ok(s.textEncoder.outputNames.includes('last_hidden_state'));
      assert.deepEqual(s.unet.inputNames, ['sample', 'timestep', 'encoder_hidden_states']);
      assert.deepEqual(s.unetTimestep, { name: 'timestep', type: 'float32', shape: [] });
      assert.deepEqual(s.unetSample.shape, ['batch_size', 4, 'height', 'width']);
      assert.deepEqual(s.unet.outputNames, ['out_sample']);
      assert.deepEqual(s.vaeDecoder.inputNames, ['latent_sample']);
      assert.deepEqual(s.vaeDecoder.outputNames, ['sample']);
      assert.deepEqual([folder.latentSize, folder.vaeScale, folder.latentMultiple, folder.latentChannels, folder.scalingFactor], [16, 2, 2, 4, 0.18215]);
    } finally {
      await folder.sessions.close();
    }
  });

  test('a folder that is not a complete export names what is missing and how to export one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'partial-export-'));
    try {
      cpSync(FIXTURE, dir, { recursive: true });
      rmSync(join(dir, 'vae_decoder'), { recursive: true });
      assert.throws(() => onnxEngineOptions({ type: 'onnx', model_dir: dir }, '/'), /missing vae_decoder\/model\.onnx.*optimum-cli export onnx --model stabilityai\/sd-turbo --task text-to-image/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('without model_dir the engine runs the bundled model with flat-colour upscaling; any other folder gets lanczos; upscale is checked', () => {
    const bundled = onnxEngineOptions({ type: 'onnx' }, '/');
    assert.equal(bundled.modelDir, BUNDLED_MODEL_DIR);
    assert.equal(bundled.upscale, 'flat');
    assert.equal(onnxEngineOptions({ type: 'onnx', model_dir: FIXTURE }, '/').upscale, 'lanczos');
    assert.equal(onnxEngineOptions({ type: 'onnx', model_dir: FIXTURE, upscale: 'flat' }, '/').upscale, 'flat');
    assert.throws(() => onnxEngineOptions({ type: 'onnx', upscale: 'bicubic' }, '/'), /option upscale must be lanczos or flat, got "bicubic"/);
  });

  test('dreamina sizes come back at exactly the requested pixels, as png', async () => {
    for (const size of ['1024x1024(1:1)', '3024x1296(21:9)', '2304x1728(4:3)']) {
      const [output] = await run(engine, DREAMINA, { prompt: 'a red circle', 'width×height': size, scale: 0.5, force_single: false });
      const m = await meta(output!);
      assert.equal(`${m.width}x${m.height}`, size.replace(/\(.*/, ''));
      assert.equal(m.format, 'png');
      assert.deepEqual([output!.contentType, output!.extension], ['image/png', 'png']);
    }
  });

  test('seedream: explicit sizes, 2K/3K from the prompt\'s aspect, jpeg, and a sequence of max_images', async () => {
    const [vertical] = await run(engine, SEEDREAM, { prompt: 'a vertical phone wallpaper of a cat', resolution: '2K', output_format: 'jpeg' });
    const v = await meta(vertical!);
    assert.deepEqual([v.width, v.height, v.format, vertical!.contentType, vertical!.extension], [1600, 2848, 'jpeg', 'image/jpeg', 'jpg']);
    const [wide] = await run(engine, SEEDREAM, { prompt: 'a red square, 21:9', resolution: '3K' });
    assert.deepEqual([(await meta(wide!)).width, (await meta(wide!)).height], [4704, 2016]);
    const sequence = await run(engine, SEEDREAM, { prompt: 'a cat', resolution: '1728x2304 (3:4)', sequential_image_generation: 'auto', max_images: 3 });
    assert.equal(sequence.length, 3);
    for (const output of sequence) assert.deepEqual([(await meta(output)).width, (await meta(output)).height], [1728, 2304]);
    assert.equal(new Set(sequence.map((o) => (o.data as Buffer).toString('base64'))).size, 3, 'consecutive seeds give different images');
    const single = await run(engine, SEEDREAM, { prompt: 'a cat', resolution: '1728x2304 (3:4)', sequential_image_generation: 'disabled', max_images: 3 });
    assert.equal(single.length, 1);
  });

  test('the same request gives the same bytes; another prompt or scale does not', async () => {
    const input = { prompt: 'a blue circle', 'width×height': '1024x1024(1:1)', scale: 0.7, force_single: true };
    const [a] = await run(engine, DREAMINA, input);
    const other = engineWith();
    try {
      const [b] = await run(other, DREAMINA, input);
      assert.ok((a!.data as Buffer).equals(b!.data as Buffer), 'a fresh engine gives the same bytes');
    } finally {
      await other.close?.();
    }
    const [c] = await run(engine, DREAMINA, { ...input, prompt: 'a red square' });
    const [d] = await run(engine, DREAMINA, { ...input, scale: 0.2 });
    assert.ok(!(a!.data as Buffer).equals(c!.data as Buffer));
    assert.ok(!(a!.data as Buffer).equals(d!.data as Buffer));
  });

  test('every scheduler runs; guidance 0 runs without the unconditional branch', async () => {
    for (const scheduler of ['euler', 'euler_a', 'ddim']) {
      const e = engineWith({ scheduler, guidance: scheduler === 'ddim' ? 0 : undefined });
      try {
        const [output] = await run(e, DREAMINA, { prompt: 'a cat', 'width×height': '1024x1024(1:1)', scale: 1 });
        assert.equal((await meta(output!)).width, 1024);
      } finally {
        await e.close?.();
      }
    }
  });

  test('abort stops the run promptly with the signal\'s reason; progress rises to 1', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const slow = engineWith({ steps: 50 });
    try {
      const started = Date.now();
      await assert.rejects(run(slow, SEEDREAM, { prompt: 'a cat', resolution: '2048x2048 (1:1)', sequential_image_generation: 'auto', max_images: 15 }, controller.signal, (f) => {
        seen.push(f);
        if (seen.length === 3) controller.abort(new Error('lease lost'));
      }), /lease lost/);
      assert.ok(Date.now() - started < 5000);
      assert.equal(seen.length, 3);
      await run(slow, DREAMINA, { prompt: 'x', 'width×height': '1024x1024(1:1)' }, new AbortController().signal, (f) => seen.push(f));
      assert.equal(seen.at(-1), 1);
    } finally {
      await slow.close?.();
    }
  });

  test('models other than the two text-to-image ones are refused with engine_unavailable', async () => {
    await assert.rejects(run(engine, 'ideogram/ideogram-v3/reframe', {}), (error: Error & { type?: string }) => error.type === 'engine_unavailable');
  });
});

describe('catalog mapping rules', () => {
  test('aspect from the prompt: a written ratio first, then the earliest aspect word, else 1:1', () => {
    assert.equal(aspectFromPrompt('A poster, 16:9'), '16:9');
    assert.equal(aspectFromPrompt('editorial portrait, wide shot'), '3:4');
    assert.equal(aspectFromPrompt('a wide landscape'), '16:9');
    assert.equal(aspectFromPrompt('vertical banner'), '9:16');
    assert.equal(aspectFromPrompt('an app icon'), '1:1');
    assert.equal(aspectFromPrompt('a cat'), '1:1');
    assert.equal(aspectFromPrompt('panoramic view, 5:4'), '21:9');
  });

  test('native size keeps the aspect at the model\'s pixel area, multiples of the latent grid', () => {
    assert.deepEqual(nativeSize(2048, 2048, 512, 64), [512, 512]);
    assert.deepEqual(nativeSize(2560, 1440, 512, 64), [704, 384]);
    assert.deepEqual(nativeSize(1600, 2848, 32, 4), [24, 44]);
  });
});
