/**
 * Images through sniff + sharp: pixel bombs refused from the header before any decode (with
 * time and memory printed), truncated and corrupt files refused, refused formats named,
 * mislabelled files taken for what they are, and EXIF orientation applied to the size.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { InputError } from '../../src/inputs/errors.ts';
import { probeImage } from '../../src/inputs/probe-image.ts';
import { resolveFileInput, type ResolveOptions } from '../../src/inputs/resolve-file.ts';
import { dataUri, makeImage, pixelBombPng } from '../support/media.ts';

let dir: string;
let work: string;
const uploads = new Map<string, string>();
const image = { kind: 'image' as const, rules: [] };

function options(extra: Partial<ResolveOptions> = {}): ResolveOptions {
  return { workDir: work, uploads: async (value) => (uploads.has(value) ? { path: uploads.get(value)! } : undefined), ...extra };
}

async function reasonFor(value: string, extra: Partial<ResolveOptions> = {}): Promise<InputError> {
  const error = await resolveFileInput(value, image, options(extra)).then(
    () => assert.fail('accepted'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof InputError, String(error));
  assert.deepEqual(readdirSync(work), [], 'no file left behind');
  return error;
}

function upload(name: string, bytes: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  const url = `https://modelgate.test/v1/files/${name}`;
  uploads.set(url, path);
  return url;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'modelgate-images-'));
  work = join(dir, 'work');
  mkdirSync(work);
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe('pixel bombs', () => {
  for (const side of [20_000, 15_000]) {
    it(`refuses a ${side}×${side} all-zero PNG from its header, before any decode`, async (t) => {
      const bomb = await pixelBombPng(side, side);
      const url = upload(`bomb-${side}.png`, bomb);
      const rssBefore = process.memoryUsage().rss;
      const started = performance.now();
      const error = await reasonFor(url);
      const ms = performance.now() - started;
      const rssGrowth = (process.memoryUsage().rss - rssBefore) / (1024 * 1024);
      assert.equal(error.reason, 'too_many_pixels');
      assert.equal(error.details.stage, 'header', 'refused by metadata(), before the decode step');
      assert.match(error.message, /more than 100 megapixels/);
      // A decode of side² 8-bit pixels would need side² bytes (225–400 MB); none happened.
      assert.ok(rssGrowth < 64, `rss grew ${rssGrowth} MB`);
      t.diagnostic(`${side}×${side} (${((side * side) / 1e6).toFixed(0)} MP) bomb in ${(bomb.length / 1024).toFixed(0)} KiB: refused in ${ms.toFixed(1)} ms, RSS +${rssGrowth.toFixed(1)} MB, refused at the header stage (decode step never ran)`);
    });
  }
  it('the ceiling is what stops it: the 225 MP bomb under a 300 MP ceiling is measured by decoding', async (t) => {
    const path = join(dir, 'bomb-15000.png');
    const started = performance.now();
    const probe = await probeImage(path, { maxPixels: 300_000_000 });
    t.diagnostic(`same 225 MP file with the ceiling raised to 300 MP: header + full streaming decode in ${(performance.now() - started).toFixed(0)} ms`);
    assert.deepEqual([probe.width, probe.height], [15_000, 15_000]);
  });
});

describe('broken and disguised files', () => {
  it('refuses truncated PNG and JPEG, and garbage behind a valid signature', async () => {
    const png = await makeImage(300, 200, 'png', true);
    const jpeg = await makeImage(300, 200, 'jpeg', true);
    for (const bytes of [png.subarray(0, png.length >> 1), jpeg.subarray(0, jpeg.length >> 1), Buffer.concat([png.subarray(0, 8), Buffer.alloc(500, 7)])]) {
      const error = await reasonFor(dataUri(bytes));
      assert.equal(error.reason, 'unreadable', error.message);
    }
  });

  it('names and refuses TIFF, AVIF/HEIF, SVG, PDF, HTML and archives', async () => {
    const cases: Array<[Buffer, string]> = [
      [await makeImage(20, 20, 'tiff'), 'a TIFF image'],
      [await sharp({ create: { width: 20, height: 20, channels: 3, background: '#123' } }).avif().toBuffer(), 'a HEIF/AVIF image'],
      [Buffer.from('\uFEFF  <svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), 'an SVG image'],
      [Buffer.from('%PDF-1.4\n'), 'a PDF document'],
      [Buffer.from('<!doctype html><title>x</title>'), 'an HTML page'],
      [Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]), 'a gzip archive'],
      [Buffer.from('#EXTM3U\n#EXT-X-VERSION:3\n'), 'a playlist'],
    ];
    for (const [bytes, what] of cases) {
      const error = await reasonFor(dataUri(bytes));
      assert.equal(error.reason, 'bad_type');
      assert.equal(error.details.sniffed, what);
      assert.match(error.message, /^expected an image \(JPEG, PNG, WebP or GIF\), but the file is /);
    }
  });

  it('takes a mislabelled file for what its bytes say', async () => {
    const png = await makeImage(30, 20, 'png');
    const file = await resolveFileInput(dataUri(png, 'image/jpeg'), image, options());
    assert.deepEqual([file.format, file.contentType, file.width, file.height, file.form], ['png', 'image/png', 30, 20, 'data']);
    rmSync(file.path);
  });

  it('with the SVG, PDF and TIFF loaders off, even a direct probe cannot open them', async () => {
    const tiff = join(dir, 'direct.tiff');
    writeFileSync(tiff, await makeImage(20, 20, 'tiff'));
    await assert.rejects(probeImage(tiff), (e: unknown) => e instanceof InputError && e.reason === 'unreadable');
  });
});

describe('accepted images', () => {
  it('measures JPEG, PNG, WebP and GIF, applying EXIF orientation', async () => {
    for (const format of ['jpeg', 'png', 'webp', 'gif'] as const) {
      const file = await resolveFileInput(dataUri(await makeImage(40, 30, format)), image, options());
      assert.deepEqual([file.format, file.width, file.height, file.kind], [format, 40, 30, 'image']);
      rmSync(file.path);
    }
    const rotated = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#fff' } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const file = await resolveFileInput(dataUri(rotated), image, options());
    assert.deepEqual([file.width, file.height], [100, 200], 'as displayed, not as stored');
    rmSync(file.path);
  });
});
