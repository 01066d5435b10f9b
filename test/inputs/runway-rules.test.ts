/**
 * Every `validations` rule of runway's promptImage, on both sides of its bound, through
 * resolveFileInput and the catalog's own rule list, with the seed's validation_error text as the
 * message. The 3:1 case goes through all three input forms (data: URI, upload, URL).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadCatalog } from '../../src/catalog/catalog.ts';
import type { FileInputSpec } from '../../src/catalog/types.ts';
import { HostAllowList } from '../../src/inputs/address-policy.ts';
import { InputError } from '../../src/inputs/errors.ts';
import { resolveFileInput, type ResolveOptions } from '../../src/inputs/resolve-file.ts';
import { startCanary, type Canary } from '../support/canary.ts';
import { dataUri, makeImage, padPng } from '../support/media.ts';
import { stubResolver } from '../support/stub-resolver.ts';

const SIZE_MESSAGE = 'The uploaded image width and height must not exceed 8000 pixels.';
const RATIO_MESSAGE = 'The aspect ratio range should be 1:2 to 2:1.';
const FILE_MESSAGE = 'File size must be less than 16 MB.';
const MiB = 1024 * 1024;

let dir: string;
let work: string;
let promptImage: FileInputSpec;
let canary: Canary;
const served = new Map<string, Buffer>();
const uploads = new Map<string, string>();

function options(): ResolveOptions {
  return {
    workDir: work,
    uploads: async (value) => (uploads.has(value) ? { path: uploads.get(value)! } : undefined),
    allowHttp: true,
    allowHosts: HostAllowList.parse(`images.test:${canary.port}`),
    resolver: stubResolver({ 'images.test': ['127.0.0.1'] }).resolve,
  };
}

function upload(name: string, bytes: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  uploads.set(`upload:${name}`, path);
  return `upload:${name}`;
}

async function outcome(value: string): Promise<string> {
  try {
    const file = await resolveFileInput(value, promptImage, options());
    rmSync(file.path);
    return 'ok';
  } catch (error) {
    assert.ok(error instanceof InputError, String(error));
    assert.equal(error.reason, 'rule');
    assert.equal(readdirSync(work).length, 0, 'no file left behind');
    return error.message;
  }
}

before(async () => {
  const model = loadCatalog().get('runwayml/runway-gen-3-alpha/turbo/image-to-video');
  promptImage = model!.fileInputs.find((input) => input.field === 'promptImage')!;
  assert.equal(promptImage.rules.length, 5);
  dir = mkdtempSync(join(tmpdir(), 'modelgate-runway-'));
  work = join(dir, 'work');
  mkdirSync(work);
  canary = await startCanary((req, res) => {
    const body = served.get(req.url ?? '');
    if (body) res.end(body);
    else res.writeHead(404).end();
  });
});

after(async () => {
  await canary?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('runway promptImage rules, both sides of each bound', () => {
  it('width_pixels < 8000', async () => {
    assert.equal(await outcome(dataUri(await makeImage(7999, 4000, 'jpeg'))), 'ok');
    assert.equal(await outcome(dataUri(await makeImage(8000, 4001, 'jpeg'))), SIZE_MESSAGE);
  });

  it('height_pixels < 8000', async () => {
    assert.equal(await outcome(dataUri(await makeImage(4000, 7999, 'jpeg'))), 'ok');
    assert.equal(await outcome(dataUri(await makeImage(4001, 8000, 'jpeg'))), SIZE_MESSAGE);
  });

  it('width/height > 0.5 (1:2)', async () => {
    assert.equal(await outcome(dataUri(await makeImage(100, 199))), 'ok');
    assert.equal(await outcome(dataUri(await makeImage(100, 200))), RATIO_MESSAGE);
    assert.equal(await outcome(dataUri(await makeImage(100, 300))), RATIO_MESSAGE);
  });

  it('width/height < 2 (2:1)', async () => {
    assert.equal(await outcome(dataUri(await makeImage(199, 100))), 'ok');
    assert.equal(await outcome(dataUri(await makeImage(200, 100))), RATIO_MESSAGE);
  });

  it('file_size_mb < 16, to the byte', async () => {
    const small = await makeImage(64, 64);
    assert.equal(await outcome(upload('just-under.png', padPng(small, 16 * MiB - 1))), 'ok');
    assert.equal(await outcome(upload('exactly-16.png', padPng(small, 16 * MiB))), FILE_MESSAGE);
  });

  it('a 3:1 image fails with the seed text in every input form', async () => {
    const wide = await makeImage(300, 100);
    served.set('/wide.png', wide);
    assert.equal(await outcome(dataUri(wide)), RATIO_MESSAGE);
    assert.equal(await outcome(upload('wide.png', wide)), RATIO_MESSAGE);
    assert.equal(await outcome(`http://images.test:${canary.port}/wide.png`), RATIO_MESSAGE);
    const fine = await makeImage(160, 100);
    served.set('/fine.png', fine);
    assert.equal(await outcome(`http://images.test:${canary.port}/fine.png`), 'ok');
  });

  it('carries the broken rule on the error for the integrator', async () => {
    const error = await resolveFileInput(dataUri(await makeImage(300, 100)), promptImage, options()).then(
      () => assert.fail('accepted'),
      (e: unknown) => e as InputError,
    );
    assert.deepEqual(error.rule, { validation_rule: 'width/height<', validation_value: 2, validation_error: RATIO_MESSAGE });
  });
});
