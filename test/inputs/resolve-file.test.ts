/**
 * resolveFileInput's seams for the integrator: the submit-time precheck (never a download), the
 * uploads hook, the caller's abort signal (a retryable 'aborted', not the client's fault), and
 * the local file it leaves (named, with the sniffed extension).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HostAllowList } from '../../src/inputs/address-policy.ts';
import { InputError } from '../../src/inputs/errors.ts';
import { precheckFileInput, resolveFileInput, type ResolveOptions } from '../../src/inputs/resolve-file.ts';
import { startCanary, type Canary } from '../support/canary.ts';
import { dataUri, makeImage } from '../support/media.ts';
import { stubResolver } from '../support/stub-resolver.ts';

let dir: string;
let work: string;
let silent: Canary;
let photo: string;
const image = { kind: 'image' as const, rules: [] };

const uploads: ResolveOptions['uploads'] = async (value) => {
  if (!value.startsWith('https://modelgate.test/v1/files/')) return undefined;
  if (value.endsWith('/mine')) return { path: photo };
  throw new InputError('upload_not_found', 'no such upload for this key');
};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'modelgate-resolve-'));
  work = join(dir, 'work');
  mkdirSync(work);
  photo = join(dir, 'photo.bin');
  writeFileSync(photo, await makeImage(32, 24, 'webp'));
  silent = await startCanary(() => undefined); // accepts, never answers
});

after(async () => {
  await silent?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('precheckFileInput (submit time)', () => {
  it('only checks a URL statically: no DNS question, no connection', async () => {
    const dns = stubResolver({ 'images.example.com': ['93.184.216.34'] });
    const result = await precheckFileInput('https://images.example.com/a.png', image, { workDir: work, resolver: dns.resolve });
    assert.deepEqual(result, { form: 'url', file: undefined });
    assert.equal(dns.questions.length, 0);
    for (const [url, reason] of [
      ['http://127.0.0.1:8080/photo.jpg', 'scheme'],
      ['https://10.0.0.1/a.png', 'blocked_address'],
      ['https://images.example.com:8443/a.png', 'port'],
    ] as const) {
      await assert.rejects(precheckFileInput(url, image, { workDir: work }), (e: unknown) => e instanceof InputError && e.reason === reason);
    }
  });

  it('fully resolves data: URIs and uploads', async () => {
    const data = await precheckFileInput(dataUri(await makeImage(10, 10)), image, { workDir: work });
    assert.equal(data.form, 'data');
    assert.equal(data.file?.width, 10);
    const upload = await precheckFileInput('https://modelgate.test/v1/files/mine', image, { workDir: work, uploads });
    assert.equal(upload.form, 'upload');
    assert.deepEqual([upload.file?.format, upload.file?.width, upload.file?.height], ['webp', 32, 24]);
    rmSync(data.file!.path);
    rmSync(upload.file!.path);
  });
});

describe('resolveFileInput seams', () => {
  it('lets the uploads hook refuse an unknown upload without any fetch', async () => {
    const dns = stubResolver({});
    await assert.rejects(resolveFileInput('https://modelgate.test/v1/files/someone-elses', image, { workDir: work, uploads, resolver: dns.resolve }), (e: unknown) => e instanceof InputError && e.reason === 'upload_not_found');
    assert.equal(dns.questions.length, 0);
    assert.ok(existsSync(photo), 'the upload itself is never touched');
  });

  it("reports the caller's abort as 'aborted', distinct from a timeout", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('shutdown')), 100);
    await assert.rejects(
      resolveFileInput(`http://slow.test:${silent.port}/a.png`, image, {
        workDir: work,
        signal: controller.signal,
        allowHttp: true,
        allowHosts: HostAllowList.parse(`slow.test:${silent.port}`),
        resolver: stubResolver({ 'slow.test': ['127.0.0.1'] }).resolve,
      }),
      (e: unknown) => e instanceof InputError && e.reason === 'aborted',
    );
    assert.deepEqual(readdirSync(work), []);
  });

  it('names the file after the field, with the sniffed extension', async () => {
    const file = await resolveFileInput(dataUri(await makeImage(8, 8, 'gif'), 'image/png'), image, { workDir: work, name: 'prompt Image/../x' });
    assert.match(basename(file.path), /^prompt_Image____x-[0-9a-f]{12}\.gif$/);
    assert.deepEqual(Object.keys(file).sort(), ['contentType', 'form', 'format', 'height', 'kind', 'path', 'sizeBytes', 'width']);
    rmSync(file.path);
  });

  it('refuses values that are not strings', async () => {
    for (const value of [undefined, null, 42, {}, ['https://a.test/x.png'], '']) {
      await assert.rejects(resolveFileInput(value, image, { workDir: work }), (e: unknown) => e instanceof InputError && e.reason === 'bad_url');
    }
  });
});
