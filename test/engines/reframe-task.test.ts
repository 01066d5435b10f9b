/**
 * The reframe task on its own: exact output sizes, the source kept pixel for pixel where it is
 * placed, the same seed giving the same bytes (and the worker threads the same bytes as the
 * calling thread), a different seed a different fill, the abort signal honoured promptly, and
 * the palette's mild pull.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { parseReframeInput } from '../../src/engines/builtin/reframe/options.ts';
import { reframeImage } from '../../src/engines/builtin/reframe/reframe.ts';
import { rawPixels, testScene } from './reframe-helpers.ts';

const turbo = (resolution: string, seed = 1, extra: Record<string, unknown> = {}) =>
  parseReframeInput({ resolution, seed, rendering_speed: 'TURBO', ...extra }, 'req_test');

function differingPixels(a: Buffer | Uint8Array, b: Buffer | Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i += 3) if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2]) n++;
  return n;
}

describe('reframe task', () => {
  test('outputs exactly the requested size: wide, tall, square, and a source already of that aspect', async () => {
    const cases: Array<[string, number, number, [number, number]]> = [
      ['1536:640 (12:5)', 1536, 640, [300, 200]],
      ['640:1536 (5:12)', 640, 1536, [300, 200]],
      ['1024:1024 (1:1)', 1024, 1024, [300, 200]],
      ['1248:832 (3:2)', 1248, 832, [300, 200]],
    ];
    for (const [resolution, width, height, [sw, sh]] of cases) {
      const started = performance.now();
      const result = await reframeImage(await testScene(sw, sh), turbo(resolution));
      const meta = await sharp(result.png).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height, meta.channels], ['png', width, height, 3], resolution);
      console.log(`# ${sw}×${sh} → ${resolution}: ${(performance.now() - started).toFixed(0)} ms, source at ${JSON.stringify(result.placement.rect)}`);
    }
  });

  test('the source is scaled to fit, centred, and kept pixel for pixel (the resize alone); a same-aspect source is just resized', async () => {
    const source = await testScene(300, 200);
    for (const resolution of ['1536:640 (12:5)', '1248:832 (3:2)']) {
      const result = await reframeImage(source, turbo(resolution));
      const { rect, width } = result.placement;
      const pw = rect.x1 - rect.x0;
      const ph = rect.y1 - rect.y0;
      const expected = await sharp(source).resize(pw, ph, { fit: 'fill', kernel: 'lanczos3' }).removeAlpha().raw().toBuffer();
      const out = await rawPixels(result.png);
      let worst = 0;
      for (let y = 0; y < ph; y++) {
        for (let x = 0; x < pw * 3; x++) worst = Math.max(worst, Math.abs(out.data[((rect.y0 + y) * width + rect.x0) * 3 + x]! - expected[y * pw * 3 + x]!));
      }
      assert.equal(worst, 0, `${resolution}: largest difference in the placed region`);
      if (resolution === '1248:832 (3:2)') assert.deepEqual(rect, { x0: 0, y0: 0, x1: 1248, y1: 832 });
      else assert.deepEqual(rect, { x0: 288, y0: 0, x1: 1248, y1: 640 });
    }
  });

  test('same input and seed → identical PNG bytes, on worker threads or the calling thread; another seed → another fill', async () => {
    const source = await testScene(240, 180);
    const options = { ...turbo('1536:640 (12:5)', 1234), width: 480, height: 200 };
    const a = await reframeImage(source, options);
    const b = await reframeImage(source, options);
    const inline = await reframeImage(source, options, { threads: 0 });
    const other = await reframeImage(source, { ...options, seed: 99 });
    assert.ok(a.png.equals(b.png), 'same seed, same bytes');
    assert.ok(a.png.equals(inline.png), 'workers and the calling thread agree');
    const changed = differingPixels(a.pixels, other.pixels);
    const holePixels = 480 * 200 - 267 * 200;
    assert.ok(changed > holePixels * 0.2, `a different seed changed ${changed} of ${holePixels} fill pixels`);
    console.log(`# seed 99 vs 1234: ${changed} of ${holePixels} fill pixels differ`);
  });

  test('the abort signal stops the job promptly with its reason', async () => {
    const source = await testScene(600, 400);
    const controller = new AbortController();
    const reason = new Error('lease lost');
    const progress: number[] = [];
    const run = reframeImage(source, parseReframeInput({ resolution: '1536:640 (12:5)', rendering_speed: 'QUALITY', seed: 1 }, 'r'), {
      signal: controller.signal,
      progress: (f) => {
        progress.push(f);
        if (f > 0.1 && !controller.signal.aborted) setImmediate(() => controller.abort(reason));
      },
    });
    const started = performance.now();
    await assert.rejects(run, (error) => error === reason);
    const ms = performance.now() - started;
    assert.ok(progress.every((f, i) => i === 0 || f >= progress[i - 1]!), 'progress never goes back');
    assert.ok(progress.at(-1)! < 1, 'stopped before the end');
    console.log(`# aborted after progress ${progress.at(-1)!.toFixed(2)}; the whole run took ${ms.toFixed(0)} ms`);
    await assert.rejects(reframeImage(source, turbo('1536:640 (12:5)'), { signal: AbortSignal.abort(reason) }), (error) => error === reason);
  });

  test('a sliver of a source (too thin to halve) is filled smoothly, still at the exact size, quickly', async () => {
    const started = performance.now();
    const result = await reframeImage(await testScene(1000, 8), parseReframeInput({ resolution: '1536:512 (3:1)', seed: 1 }, 'r'));
    const meta = await sharp(result.png).metadata();
    assert.deepEqual([meta.width, meta.height], [1536, 512]);
    assert.deepEqual(result.placement.rect, { x0: 0, y0: 250, x1: 1536, y1: 262 });
    assert.ok(performance.now() - started < 5000);
  });

  test('progress rises to 1', async () => {
    const progress: number[] = [];
    await reframeImage(await testScene(200, 200), turbo('1536:640 (12:5)'), { progress: (f) => progress.push(f) });
    assert.ok(progress.length > 5);
    assert.equal(progress.at(-1), 1);
    assert.ok(progress.every((f, i) => i === 0 || f >= progress[i - 1]!));
  });

  test('color_palette leans the fill towards its colours and leaves the source alone; a named preset changes nothing', async () => {
    const source = await testScene(240, 180);
    const base = { resolution: '1536:640 (12:5)', seed: 5, rendering_speed: 'TURBO' };
    const plain = await reframeImage(source, { ...parseReframeInput(base, 'r'), width: 480, height: 200 });
    const red = await reframeImage(source, { ...parseReframeInput({ ...base, color_palette: { members: [{ color_hex: '#FF0000', color_weight: 1 }] } }, 'r'), width: 480, height: 200 });
    const named = await reframeImage(source, { ...parseReframeInput({ ...base, color_palette: { name: 'PASTEL' }, style: { anything: 1 } }, 'r'), width: 480, height: 200 });
    assert.ok(named.png.equals(plain.png));
    const { rect } = plain.placement;
    let redder = 0;
    let sourceChanged = 0;
    for (let y = 0; y < 200; y++) {
      for (let x = 0; x < 480; x++) {
        const i = (y * 480 + x) * 3;
        const inside = x >= rect.x0 && x < rect.x1;
        if (inside) sourceChanged += Number(red.pixels[i] !== plain.pixels[i]);
        else redder += red.pixels[i]! - plain.pixels[i]!;
      }
    }
    assert.equal(sourceChanged, 0);
    assert.ok(redder > 0, 'the fill got redder');
  });

  test('inputs: resolution parsed from the enum string, seed derived from the model and input when none is sent, unknown speed → BALANCED', () => {
    const model = 'ideogram/ideogram-v3/reframe';
    const a = parseReframeInput({ resolution: '832:1248 (2:3)', image: 'https://x/a.png' }, model);
    assert.deepEqual([a.width, a.height, a.speed], [832, 1248, 'BALANCED']);
    assert.equal(parseReframeInput({ image: 'https://x/a.png', resolution: '832:1248 (2:3)' }, model).seed, a.seed, 'same input, same seed');
    assert.notEqual(parseReframeInput({ resolution: '832:1248 (2:3)', image: 'https://x/b.png' }, model).seed, a.seed, 'another image, another seed');
    assert.equal(parseReframeInput({ resolution: '832:1248 (2:3)', seed: 0 }, model).seed, 0);
    assert.throws(() => parseReframeInput({ resolution: 'big' }, 'r'), /resolution/);
  });
});
