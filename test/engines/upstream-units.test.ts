/**
 * The upstream engine's pieces that need no second server: option checking (the secret stays in
 * the environment), Retry-After and backoff, the body sent upstream for each file_inputs mode,
 * output typing, and error mapping.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { pino } from 'pino';
import { loadCatalog } from '../../src/catalog/catalog.ts';
import { loadConfig } from '../../src/config.ts';
import { EngineError, type EngineJob } from '../../src/engines/engine.ts';
import { EngineRegistry } from '../../src/engines/registry.ts';
import { parseRetryAfter, retryDelay } from '../../src/engines/upstream/backoff.ts';
import { failedJobError } from '../../src/engines/upstream/errors.ts';
import { UpstreamHttp } from '../../src/engines/upstream/http.ts';
import { upstreamBody } from '../../src/engines/upstream/inputs.ts';
import { upstreamOptions } from '../../src/engines/upstream/options.ts';
import { outputRefs, typeOf } from '../../src/engines/upstream/outputs.ts';
import { MODELS, tempDir } from '../support/harness.ts';
import { ONE_PIXEL_PNG } from '../support/test-engine.ts';

const dir = tempDir('upstream-units-');
after(() => dir.remove());

describe('upstream options', () => {
  test('defaults, and the token read from the variable token_env names', () => {
    const options = upstreamOptions({ type: 'upstream', base_url: 'https://model-api.runcomfy.net/', token_env: 'RC_TOKEN' }, { RC_TOKEN: ' secret-value ' });
    assert.equal(options.baseUrl, 'https://model-api.runcomfy.net');
    assert.equal(options.origin, 'https://model-api.runcomfy.net');
    assert.equal(options.token, 'secret-value');
    assert.equal(options.fileInputs, 'data_uri');
    assert.deepEqual([options.pollMinMs, options.pollMaxMs, options.retryBudgetMs, options.timeoutMs], [500, 5000, 300_000, 3_600_000]);
  });

  test('a token written in the config file is refused, whatever its value', () => {
    assert.throws(() => upstreamOptions({ type: 'upstream', base_url: 'https://x.example', token: 'abc' }, {}), /must not be written in the config file.*token_env/);
  });

  test('a missing or empty token variable names the variable', () => {
    assert.throws(() => upstreamOptions({ type: 'upstream', base_url: 'https://x.example', token_env: 'NOPE' }, {}), /NOPE \(option token_env\) is not set/);
    assert.throws(() => upstreamOptions({ type: 'upstream', base_url: 'https://x.example', token_env: 'NOPE' }, { NOPE: '  ' }), /is not set or empty/);
  });

  test('bad base_url, unknown options, bad modes and bounds are start-up errors naming the option', () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{}, /base_url is required/],
      [{ base_url: 'ftp://x.example' }, /http or https/],
      [{ base_url: 'https://user:pw@x.example' }, /must not carry credentials/],
      [{ base_url: 'https://x.example', pol_min_ms: 5 }, /unknown option\(s\) pol_min_ms/],
      [{ base_url: 'https://x.example', file_inputs: 'magic' }, /file_inputs must be one of data_uri, url, upload/],
      [{ base_url: 'https://x.example', poll_min_ms: 1000, poll_max_ms: 500 }, /poll_max_ms \(500\) must not be below poll_min_ms/],
      [{ base_url: 'https://x.example', models: { a: '../b' } }, /models\.a must be a model id/],
      [{ base_url: 'https://x.example', output_allow_hosts: ['bad host!'] }, /output_allow_hosts/],
    ];
    for (const [options, message] of bad) assert.throws(() => upstreamOptions({ type: 'upstream', ...options }, {}), message, JSON.stringify(options));
  });

  test('through the registry, a missing token makes the engine unavailable with the reason (the server still starts)', async () => {
    const configFile = join(dir.path, 'c.json');
    writeFileSync(configFile, JSON.stringify({ engines: { up: { type: 'upstream', base_url: 'http://127.0.0.1:9', token_env: 'MODELGATE_TEST_UNSET_TOKEN' } }, models: { [MODELS.dreamina]: { engine: 'up' } } }));
    const registry = await EngineRegistry.create(loadConfig({ MODELGATE_CONFIG: configFile, MODELGATE_DATA_DIR: dir.path }), loadCatalog(), pino({ level: 'silent' }));
    const up = registry.describe().find((e) => e.name === 'up');
    assert.equal(up?.available, false);
    assert.equal(up?.type, 'upstream');
    assert.match(up?.reason ?? '', /MODELGATE_TEST_UNSET_TOKEN/);
    await registry.close();
  });
});

describe('backoff', () => {
  test('Retry-After as seconds or an HTTP date; garbage is ignored', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('3', now), 3000);
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now), 10_000);
    assert.equal(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
  });

  test('retry delays double from the minimum to the maximum, within ±20 %', () => {
    assert.deepEqual([0, 1, 2, 3, 10].map((n) => retryDelay(n, 100, 1000, () => 0.5)), [100, 200, 400, 800, 1000]);
    assert.equal(retryDelay(0, 100, 1000, () => 0), 80);
    assert.equal(retryDelay(0, 100, 1000, () => 0.999999), 120);
  });
});

describe('the body sent upstream', () => {
  const png = join(dir.path, 'in.png');
  writeFileSync(png, ONE_PIXEL_PNG);
  const file = { path: png, kind: 'image' as const, contentType: 'image/png', sizeBytes: ONE_PIXEL_PNG.length };
  const job = (image: string): EngineJob => ({ requestId: 'r', modelId: MODELS.reframe, attempt: 1, input: { image, resolution: '1152:864 (4:3)' }, files: { image: file } });
  const http = new UpstreamHttp({ baseUrl: 'http://127.0.0.1:9', origin: 'http://127.0.0.1:9', token: undefined, requestTimeoutMs: 1000 });
  const retry = { options: { origin: 'http://127.0.0.1:9', tokenEnv: undefined, pollMinMs: 10, pollMaxMs: 10, retryBudgetMs: 10, maxRetryAfterMs: 10 }, signal: new AbortController().signal, log: pino({ level: 'silent' }) };
  const dataUri = `data:image/png;base64,${ONE_PIXEL_PNG.toString('base64')}`;
  after(() => http.close());

  test('data_uri: the checked bytes inline, whatever the client sent', async () => {
    const body = await upstreamBody(job('https://cdn.example/a.png'), { fileInputs: 'data_uri', maxInlineBytes: 1024 }, http, retry);
    assert.deepEqual(body, { image: dataUri, resolution: '1152:864 (4:3)' });
  });

  test('url: a client URL is forwarded as sent; our own upload URLs are inlined', async () => {
    assert.equal((await upstreamBody(job('https://cdn.example/a.png?sig=1'), { fileInputs: 'url', maxInlineBytes: 1024 }, http, retry)).image, 'https://cdn.example/a.png?sig=1');
    assert.equal((await upstreamBody(job(`http://127.0.0.1:8080/v1/files/file_${'a'.repeat(24)}`), { fileInputs: 'url', maxInlineBytes: 1024 }, http, retry)).image, dataUri);
  });

  test('a file over max_inline_mb fails the job with input_too_large, saying what to change', async () => {
    await assert.rejects(upstreamBody(job('https://cdn.example/a.png'), { fileInputs: 'data_uri', maxInlineBytes: 10 }, http, retry), (error: unknown) => {
      assert.ok(error instanceof EngineError);
      assert.equal(error.type, 'input_too_large');
      assert.match(error.message, /^image: .*max_inline_mb.*"upload".*"url"/);
      return true;
    });
  });
});

describe('outputs and errors', () => {
  test('output refs in schema order: image, images, video, videos', () => {
    assert.deepEqual(outputRefs({ videos: ['v1', 'v2'], image: 'i', images: ['i2'], other: 'x' }), [
      { url: 'i', kind: 'image' }, { url: 'i2', kind: 'image' }, { url: 'v1', kind: 'video' }, { url: 'v2', kind: 'video' },
    ]);
    assert.deepEqual(outputRefs('https://x/a.png'), [{ url: 'https://x/a.png', kind: 'image' }]);
    assert.deepEqual(outputRefs(null), []);
  });

  test('the type is sniffed; a declared type is used only for an image/video of the right kind, never HTML', async () => {
    const pngFile = join(dir.path, 'out.png');
    writeFileSync(pngFile, ONE_PIXEL_PNG);
    assert.deepEqual(await typeOf(pngFile, { url: 'u', kind: 'image' }, 'text/html'), { kind: 'image', contentType: 'image/png', extension: 'png' });
    const opaque = join(dir.path, 'out.bin');
    writeFileSync(opaque, '<html><script>alert(1)</script></html>');
    assert.deepEqual(await typeOf(opaque, { url: 'u', kind: 'image' }, 'text/html; charset=utf-8'), { kind: 'image', contentType: 'application/octet-stream', extension: 'bin' });
    assert.deepEqual(await typeOf(opaque, { url: 'u', kind: 'video' }, 'video/mp4'), { kind: 'video', contentType: 'video/mp4', extension: 'mp4' });
    assert.deepEqual(await typeOf(opaque, { url: 'u', kind: 'image' }, 'video/mp4'), { kind: 'image', contentType: 'application/octet-stream', extension: 'bin' });
  });

  test('a failed upstream job keeps its type and message; odd shapes still give a clear error', () => {
    const kept = failedJobError({ type: 'nsfw_refused', message: 'no' });
    assert.deepEqual([kept.type, kept.message], ['nsfw_refused', 'no']);
    assert.equal(failedJobError('model refused the prompt').type, 'upstream_failed');
    assert.equal(failedJobError('model refused the prompt').message, 'model refused the prompt');
    assert.equal(failedJobError({ type: 'Bad Type!', message: 'x' }).type, 'upstream_failed');
    assert.match(failedJobError(undefined).message, /without a message/);
  });
});
