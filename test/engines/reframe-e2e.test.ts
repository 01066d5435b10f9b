/**
 * Reframe end to end with the REAL builtin engine (only onnx is replaced by the test engine):
 * the seed request with its image as a data: URI runs, reports progress, and output.image is a
 * PNG of exactly the requested resolution; the same seed through the API gives the same bytes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { createHarness, type Harness, MODELS, submitAndWait } from '../support/harness.ts';
import { dataUri } from '../support/media.ts';
import { createTestEngine } from '../support/test-engine.ts';
import { testScene } from './reframe-helpers.ts';

describe('reframe through the API with the builtin engine', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness({ engines: { onnx: createTestEngine('onnx') } });
    h.startWorkers(1);
  });
  after(async () => {
    await h.close();
  });

  async function run(payload: Record<string, unknown>): Promise<{ png: Buffer; progress: number[] }> {
    const progress: number[] = [];
    const result = await submitAndWait(h, MODELS.reframe, payload, { timeoutMs: 60_000, intervalMs: 50, onProgress: (p) => progress.push(p) });
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    const image = await h.app.inject({ method: 'GET', url: new URL(result.output.image).pathname });
    assert.equal(image.statusCode, 200);
    assert.match(String(image.headers['content-type']), /^image\/png/);
    return { png: image.rawPayload, progress };
  }

  test('a data: URI image → a 1536×640 PNG at output.image; the same seed gives the same bytes', async () => {
    const photo = await testScene(400, 300);
    const payload = { image: dataUri(photo), resolution: '1536:640 (12:5)', seed: 7, rendering_speed: 'TURBO' };
    const first = await run(payload);
    const meta = await sharp(first.png).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', 1536, 640]);
    const second = await run(payload);
    assert.ok(first.png.equals(second.png), 'same seed, same bytes');
    console.log(`# progress values seen while polling: ${[...new Set(first.progress)].map((v) => v.toFixed(2)).join(' ')}`);
  });
});
