/**
 * Image-to-video, the frame sampler: a 1:1 window at whole-pixel offsets is an exact crop, the
 * tent filter keeps flat areas flat at any scale, the WebAssembly sampler gives exactly the
 * TypeScript sampler's bytes, and the committed WebAssembly binary is the compiled sampler.wat.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { rgbToYuv420 } from '../../src/engines/builtin/video/color.ts';
import { frameRenderer, renderFrame } from '../../src/engines/builtin/video/frame.ts';
import { seededRandom } from '../../src/engines/builtin/video/random.ts';
import { createFrameSource } from '../../src/engines/builtin/video/render-pool.ts';
import { renderPlane, type Plane } from '../../src/engines/builtin/video/sampler.ts';
import { samplerModule } from '../../src/engines/builtin/video/wasm-renderer.ts';

function noisePlane(width: number, height: number, seed: number): Plane {
  const random = seededRandom(seed);
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(random() * 256);
  return { data, width, height };
}

describe('image-to-video: the frame sampler', () => {
  test('a 1:1 window at whole-pixel offsets is an exact crop', () => {
    const source = noisePlane(300, 200, 1);
    const out = new Uint8Array(128 * 96);
    renderPlane(source, { x: 17, y: 9, width: 128, height: 96 }, out, 0, 128, 96);
    for (let j = 0; j < 96; j++) {
      for (let i = 0; i < 128; i++) assert.equal(out[j * 128 + i], source.data[(j + 9) * 300 + i + 17], `at ${i},${j}`);
    }
  });

  test('flat stays flat at any sub-pixel position and scale (weights sum to one, no drift)', () => {
    const source: Plane = { data: new Uint8Array(400 * 300).fill(173), width: 400, height: 300 };
    const out = new Uint8Array(160 * 96);
    for (const scale of [0.6, 1, 1.07, 1.33, 1.5, 1.99]) {
      renderPlane(source, { x: 3.37, y: 1.91, width: 160 * scale, height: 96 * scale }, out, 0, 160, 96);
      assert.ok(out.every((v) => v === 173), `scale ${scale}`);
    }
  });

  test('a half-pixel shift of a step edge lands halfway (sub-pixel positions are kept)', () => {
    const data = new Uint8Array(64 * 8);
    for (let j = 0; j < 8; j++) for (let i = 32; i < 64; i++) data[j * 64 + i] = 200;
    const out = new Uint8Array(16 * 4);
    renderPlane({ data, width: 64, height: 8 }, { x: 24.5, y: 2, width: 16, height: 4 }, out, 0, 16, 4);
    assert.deepEqual([...out.subarray(0, 16)], [0, 0, 0, 0, 0, 0, 0, 100, 200, 200, 200, 200, 200, 200, 200, 200]);
  });

  test('the WebAssembly sampler gives exactly the TypeScript sampler\'s bytes (random windows, scales 0.6–2)', () => {
    assert.ok(samplerModule(), 'WebAssembly SIMD is available on Node 20');
    const random = seededRandom(9);
    const rgb = noisePlane(962 * 3, 610, 2).data;
    const base = rgbToYuv420(rgb, 962, 610);
    for (const [width, height] of [[320, 192], [192, 320]] as const) {
      const wasm = frameRenderer(base, width, height, 'wasm');
      const js = new Uint8Array(width * height * 1.5);
      for (let n = 0; n < 40; n++) {
        const scale = 0.6 + random() * 1.39;
        const w = width * scale;
        const h = height * scale;
        const window = { x: random() * (962 - w), y: random() * (610 - h), width: w, height: h };
        renderFrame(base, window, js, width, height);
        assert.ok(Buffer.from(wasm(window)).equals(Buffer.from(js)), `window ${JSON.stringify(window)}`);
      }
    }
  });

  test('the render thread returns the frames in order, byte-identical to inline rendering; a frame that cannot render rejects with why, and the thread serves the next job', async () => {
    const base = rgbToYuv420(noisePlane(400 * 3, 300, 4).data, 400, 300);
    const windows = Array.from({ length: 6 }, (_, i) => ({ x: 10 + i * 0.37, y: 5 + i * 0.21, width: 200 - i, height: 120 - i * 0.6 }));
    const threaded = createFrameSource(base, windows, 160, 96, 1);
    const inline = createFrameSource(base, windows, 160, 96, 0);
    for (let i = 0; i < windows.length; i++) assert.ok(Buffer.from(await threaded.frame(i)).equals(Buffer.from(await inline.frame(i))), `frame ${i}`);
    await threaded.close();
    const bad = createFrameSource(base, [{ x: 0, y: 0, width: 390, height: 234 }], 160, 96, 1);
    await assert.rejects(bad.frame(0), /failed to render: .*more than twice the output/);
    await bad.close();
    const again = createFrameSource(base, windows, 160, 96, 1);
    assert.equal((await again.frame(0)).length, 160 * 96 * 1.5);
    await again.close();
  });

  test('sampler-wasm-binary.ts is sampler.wat compiled (run build-wasm.mjs after editing the .wat)', async () => {
    const { compileSampler, binaryModule } = (await import('../../src/engines/builtin/video/build-wasm.mjs' as string)) as {
      compileSampler(): Promise<Buffer>;
      binaryModule(bytes: Buffer): string;
    };
    const committed = readFileSync(new URL('../../src/engines/builtin/video/sampler-wasm-binary.ts', import.meta.url), 'utf8');
    assert.equal(binaryModule(await compileSampler()), committed);
  });
});
