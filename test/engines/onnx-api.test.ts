/**
 * Text-to-image through the real API with the real onnx engine: a MODELGATE_CONFIG that points the
 * onnx engine at the tiny Optimum-layout fixture gives a real image at exactly the requested size;
 * with a model_dir that is not an export, jobs fail with engine_unavailable saying how to export and configure one.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { createHarness, MODELS, submitAndWait, type Harness } from '../support/harness.ts';
import { createTestEngine } from '../support/test-engine.ts';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'tiny-sd-onnx');

describe('onnx engine through the API', () => {
  let dir: string;
  let h: Harness;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'onnx-api-'));
    const configFile = join(dir, 'modelgate.json');
    writeFileSync(configFile, JSON.stringify({ engines: { onnx: { type: 'onnx', model_dir: FIXTURE, threads: 2, steps: 3 } } }));
    h = await createHarness({ env: { MODELGATE_CONFIG: configFile }, engines: { builtin: createTestEngine('builtin') } });
    h.startWorkers(1);
  });
  after(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('dreamina and seedream jobs return real images at exactly the requested size', async () => {
    const dreamina = await submitAndWait(h, MODELS.dreamina, { prompt: 'a red circle above a blue square on a yellow background', 'width×height': '2560x1440(16:9)' });
    assert.equal(dreamina.status, 'succeeded', JSON.stringify(dreamina));
    const file = await h.app.inject({ method: 'GET', url: new URL(dreamina.output.image).pathname });
    assert.equal(file.headers['content-type'], 'image/png');
    const m = await sharp(file.rawPayload).metadata();
    assert.deepEqual([m.width, m.height, m.format], [2560, 1440, 'png']);
    const stats = await sharp(file.rawPayload).stats();
    assert.ok(stats.channels.some((c) => c.stdev > 1), 'the image has content, not one flat colour');

    const seedream = await submitAndWait(h, MODELS.seedream, { prompt: 'a cat', resolution: '1664x2496 (2:3)', sequential_image_generation: 'auto', max_images: 2, output_format: 'jpeg' });
    assert.equal(seedream.status, 'succeeded', JSON.stringify(seedream));
    assert.equal(seedream.output.images.length, 2);
    for (const url of seedream.output.images as string[]) {
      const image = await h.app.inject({ method: 'GET', url: new URL(url).pathname });
      assert.equal(image.headers['content-type'], 'image/jpeg');
      const meta = await sharp(image.rawPayload).metadata();
      assert.deepEqual([meta.width, meta.height], [1664, 2496]);
    }
  });
});

describe('onnx engine pointed at a folder that is not an export', () => {
  let dir: string;
  let h: Harness;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'onnx-missing-'));
    const configFile = join(dir, 'modelgate.json');
    writeFileSync(configFile, JSON.stringify({ engines: { onnx: { type: 'onnx', model_dir: 'no-such-model' } } }));
    h = await createHarness({ env: { MODELGATE_CONFIG: configFile }, engines: { builtin: createTestEngine('builtin') } });
    h.startWorkers(1);
  });
  after(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a text-to-image job fails with engine_unavailable explaining how to export and configure a model', async () => {
    const result = await submitAndWait(h, MODELS.dreamina, { prompt: 'a cat' });
    assert.equal(result.status, 'failed');
    assert.equal(result.error.type, 'engine_unavailable');
    assert.match(result.error.message, /optimum-cli export onnx --model stabilityai\/sd-turbo --task text-to-image/);
    assert.match(result.error.message, /model_dir/);
  });
});
