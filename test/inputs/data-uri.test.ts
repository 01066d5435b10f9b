/**
 * data: URIs: decoded size computed from the base64 length before any decoding, a configurable
 * cap (default 10 MB), strict base64, and the type still decided by the bytes.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_MAX_DATA_URI_BYTES, base64DecodedLength, parseDataUri } from '../../src/inputs/data-uri.ts';
import { InputError } from '../../src/inputs/errors.ts';
import { resolveFileInput } from '../../src/inputs/resolve-file.ts';
import { dataUri, makeImage } from '../support/media.ts';

let dir: string;
const image = { kind: 'image' as const, rules: [] };

function reason(fn: () => unknown): string {
  try {
    fn();
    return 'accepted';
  } catch (error) {
    assert.ok(error instanceof InputError);
    return error.reason;
  }
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'modelgate-data-'));
  mkdirSync(join(dir, 'work'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('parseDataUri', () => {
  it('computes the decoded length from the base64 length', () => {
    for (const bytes of [0, 1, 2, 3, 4, 5, 100, 1001]) {
      const b64 = Buffer.alloc(bytes, 9).toString('base64');
      assert.equal(base64DecodedLength(b64), bytes);
      assert.equal(base64DecodedLength(b64.replace(/=+$/, '')), bytes, 'unpadded too');
    }
    assert.equal(base64DecodedLength('AAAAA'), -1);
    assert.equal(base64DecodedLength('AA=A='), -1);
  });

  it('accepts base64 with any media type and keeps the claim for logs', () => {
    const parsed = parseDataUri('data:image/PNG;name=x.png;base64,aGVsbG8=');
    assert.equal(parsed.declaredType, 'image/png');
    assert.equal(parsed.bytes.toString(), 'hello');
  });

  it('refuses malformed URIs', () => {
    assert.equal(reason(() => parseDataUri('data:image/png;base64,@@@@')), 'bad_data_uri');
    assert.equal(reason(() => parseDataUri('data:image/png;base64,AAAAA')), 'bad_data_uri');
    assert.equal(reason(() => parseDataUri('data:image/png;base64,AA AA')), 'bad_data_uri');
    assert.equal(reason(() => parseDataUri('data:image/png,%89PNG')), 'bad_data_uri');
    assert.equal(reason(() => parseDataUri('data:image/png;base64')), 'bad_data_uri');
    assert.equal(reason(() => parseDataUri('data:image/png;base64,')), 'bad_data_uri');
  });

  it('refuses an oversized URI from its length alone, before decoding or even scanning it', (t) => {
    assert.equal(DEFAULT_MAX_DATA_URI_BYTES, 10 * 1024 * 1024);
    const huge = `data:image/png;base64,${'A'.repeat(14 * 1024 * 1024)}`; // 10.5 MB decoded
    const started = performance.now();
    assert.equal(reason(() => parseDataUri(huge)), 'too_large');
    t.diagnostic(`14 MiB of base64 (10.5 MiB decoded) refused in ${(performance.now() - started).toFixed(2)} ms`);
    // Not a timing assertion (a loaded machine makes those flaky): the proof that nothing was
    // scanned is that characters no base64 scan would pass still come back as "too large".
    assert.equal(reason(() => parseDataUri(`data:image/png;base64,${'!'.repeat(14 * 1024 * 1024)}`)), 'too_large');
    assert.equal(reason(() => parseDataUri(`data:image/png;base64,${'!'.repeat(16)}`)), 'bad_data_uri', 'a short one is scanned and refused as malformed');
    const exact = `data:;base64,${Buffer.alloc(3000).toString('base64')}`;
    assert.equal(reason(() => parseDataUri(exact, 3000)), 'accepted');
    assert.equal(reason(() => parseDataUri(exact, 2999)), 'too_large');
  });
});

describe('data: URIs through resolveFileInput', () => {
  const options = { workDir: '' };
  before(() => {
    options.workDir = join(dir, 'work');
  });

  it('resolves a small PNG to a local file', async () => {
    const png = await makeImage(48, 32, 'png');
    const file = await resolveFileInput(dataUri(png), image, options);
    assert.deepEqual([file.form, file.format, file.width, file.height, file.sizeBytes], ['data', 'png', 48, 32, png.length]);
    rmSync(file.path);
  });

  it('applies the configurable cap', async () => {
    const png = await makeImage(48, 32, 'png', true);
    await assert.rejects(resolveFileInput(dataUri(png), image, { ...options, limits: { maxDataUriBytes: png.length - 1 } }), (e: unknown) => e instanceof InputError && e.reason === 'too_large');
    // The kind's cap applies to data: URIs too when it is the smaller one.
    await assert.rejects(resolveFileInput(dataUri(png), image, { ...options, limits: { maxImageBytes: 100 } }), (e: unknown) => e instanceof InputError && e.reason === 'too_large');
  });

  it('refuses bad base64 and non-images, leaving nothing behind', async () => {
    for (const [value, expected] of [
      ['data:image/png;base64,iVBORw0KGgo=!!', 'bad_data_uri'],
      [`data:text/plain;base64,${Buffer.from('just some text').toString('base64')}`, 'bad_type'],
      [`data:image/png;base64,${Buffer.from('<html><body>hi</body></html>').toString('base64')}`, 'bad_type'],
      ['data:image/png;base64,iVBORw0KGgo=', 'unreadable'],
    ] as const) {
      await assert.rejects(resolveFileInput(value, image, options), (e: unknown) => e instanceof InputError && e.reason === expected);
    }
    assert.deepEqual(readdirSync(options.workDir), []);
  });
});
