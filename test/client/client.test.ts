/**
 * modelgate/client against a real server (the in-process app on a loopback port, workers on, the
 * test engine behind every model), directly and through a front that answers like RunComfy's
 * hosted API (no event stream, no uploads) or refuses with 429/503 and a Retry-After.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ApiError, ModelGateClient, type StatusView } from '../../src/client/index.ts';
import { createHarness, MODELS, tempDir, type Harness } from '../support/harness.ts';
import { freePort } from '../support/processes.ts';
import { ONE_PIXEL_PNG } from '../support/test-engine.ts';
import { type FrontProxy, startFrontProxy } from './front-proxy.ts';

let h: Harness;
let url: string;
let client: ModelGateClient;
const fronts: FrontProxy[] = [];
const files = tempDir('modelgate-client-');

before(async () => {
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  h = await createHarness({ env: { MODELGATE_PUBLIC_URL: url } });
  await h.app.listen({ host: '127.0.0.1', port });
  h.startWorkers(1);
  client = new ModelGateClient({ baseUrl: url, apiKey: h.key });
});

after(async () => {
  await Promise.all(fronts.map((front) => front.close()));
  await h.close();
  files.remove();
});

async function front(options: { runComfyRoutesOnly?: boolean } = {}): Promise<FrontProxy> {
  const proxy = await startFrontProxy(url, options);
  fronts.push(proxy);
  return proxy;
}

describe('run', () => {
  test('follows the event stream: queue updates with progress, then the result; the output downloads', async () => {
    const updates: StatusView[] = [];
    const result = await client.run(MODELS.seedream, { prompt: 'sleep=400' }, { onQueueUpdate: (status) => updates.push(status) });
    assert.equal(result.status, 'succeeded', JSON.stringify(result));
    assert.ok(result.output?.image);
    assert.ok(updates.some((u) => u.status === 'in_progress' && typeof u.progress === 'number'), JSON.stringify(updates));
    assert.equal(updates.at(-1)?.status, 'completed');
    const saved = join(files.path, 'out.png');
    await client.download(result.output.image, saved);
    assert.deepEqual((await import('node:fs')).readFileSync(saved), ONE_PIXEL_PNG);
  });

  test('against RunComfy\'s routes only (the stream answers 404): falls back to polling and needs no other route', async () => {
    const proxy = await front({ runComfyRoutesOnly: true });
    const viaFront = new ModelGateClient({ baseUrl: proxy.url, apiKey: h.key });
    const updates: string[] = [];
    const result = await viaFront.run(MODELS.seedream, { prompt: 'sleep=300' }, { onQueueUpdate: (s) => updates.push(s.status), pollIntervalMs: 50 });
    assert.equal(result.status, 'succeeded');
    assert.equal(updates.at(-1), 'completed');
    const routes = new Set(proxy.seen.map((line) => line.replace(/\/v1\/requests\/[^/]+\//, '/v1/requests/ID/')));
    assert.deepEqual([...routes].sort(), [
      'GET /v1/requests/ID/result',
      'GET /v1/requests/ID/status',
      'GET /v1/requests/ID/stream',
      `POST /v1/models/${MODELS.seedream}`,
    ]);
  });

  test('stream: false polls; a failed run is returned with its error, not thrown', async () => {
    const result = await client.run(MODELS.dreamina, { prompt: 'fail' }, { stream: false, pollIntervalMs: 50 });
    assert.equal(result.status, 'failed');
    assert.equal(result.error?.type, 'test_failure');
  });

  test('an abort signal stops the wait', async () => {
    const submitted = await client.submit(MODELS.dreamina, { prompt: 'sleep=2000' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('enough')), 200);
    await assert.rejects(client.follow(submitted.request_id, { signal: controller.signal }), /enough/);
  });
});

describe('submit, status, result, cancel', () => {
  test('a queued job is cancelled; status and result say so', async () => {
    const busy = await client.submit(MODELS.dreamina, { prompt: 'sleep=1500' }); // holds the one worker
    const queued = await client.submit(MODELS.dreamina, { prompt: 'queued' });
    const status = await client.status(queued.request_id);
    assert.equal(status.status, 'in_queue');
    assert.equal(typeof status.queue_position, 'number');
    const cancelled = await client.cancel(queued.request_id);
    assert.deepEqual([cancelled.request_id, cancelled.outcome], [queued.request_id, 'cancelled']);
    assert.equal((await client.result(queued.request_id)).status, 'cancelled');
    assert.equal((await client.follow(busy.request_id)).status, 'succeeded');
  });

  test('rejections are ApiError with the envelope: the field and why', async () => {
    const rejected = await client.submit(MODELS.dreamina, { prompt: 'x', colour: 'red' } as never).catch((error: unknown) => error);
    assert.ok(rejected instanceof ApiError);
    assert.equal(rejected.httpStatus, 422);
    assert.equal(rejected.error_code, 422001);
    assert.ok(rejected.detail.some((d) => d.loc.includes('colour')), JSON.stringify(rejected.detail));
    await assert.rejects(client.status('00000000-0000-4000-8000-000000000000'), (error: ApiError) => error.error_code === 404001 && error.httpStatus === 404);
    const stranger = new ModelGateClient({ baseUrl: url, apiKey: 'mg_not_a_key' });
    await assert.rejects(stranger.submit(MODELS.dreamina, { prompt: 'x' }), (error: ApiError) => error.error_code === 401001);
  });
});

describe('upload', () => {
  test('a path (Node) and a Blob become file inputs the engine receives byte for byte', async () => {
    const path = join(files.path, 'pixel.png');
    writeFileSync(path, ONE_PIXEL_PNG);
    const fromPath = await client.upload(path);
    assert.equal(fromPath.content_type, 'image/png');
    assert.equal(fromPath.size, ONE_PIXEL_PNG.length);
    const fromBlob = await client.upload(new Blob([ONE_PIXEL_PNG]), { filename: 'pixel.png' });
    assert.equal(fromBlob.sha256, fromPath.sha256);
    const result = await client.run(MODELS.reframe, { image: fromBlob.url, resolution: '1024:1024 (1:1)' });
    assert.equal(result.status, 'succeeded', JSON.stringify(result));
    const echoed = Buffer.from(await (await fetch(result.output!.image!)).arrayBuffer());
    assert.deepEqual(echoed, ONE_PIXEL_PNG);
  });

  test('a path that does not exist is an error before anything is sent', async () => {
    await assert.rejects(client.upload(join(files.path, 'missing.png')), /ENOENT/);
  });
});

describe('retries', () => {
  test('429 and 503 are retried after their Retry-After, then the request goes through', async () => {
    const proxy = await front();
    const viaFront = new ModelGateClient({ baseUrl: proxy.url, apiKey: h.key });
    proxy.refuseNext(2, 429, '1');
    const started = Date.now();
    const submitted = await viaFront.submit(MODELS.dreamina, { prompt: 'retried' });
    assert.ok(Date.now() - started >= 1900, `waited ${Date.now() - started} ms`);
    assert.equal(proxy.seen.filter((line) => line.startsWith('POST')).length, 3);
    proxy.refuseNext(1, 503, '0');
    assert.equal((await viaFront.status(submitted.request_id)).request_id, submitted.request_id);
  });

  test('bounded: past `retries` the last refusal is thrown; a Retry-After beyond maxDelayMs is thrown at once', async () => {
    const proxy = await front();
    const viaFront = new ModelGateClient({ baseUrl: proxy.url, apiKey: h.key, retry: { retries: 2, maxDelayMs: 5_000 } });
    proxy.refuseNext(3, 503, '0');
    await assert.rejects(viaFront.status('00000000-0000-4000-8000-000000000000'), (error: ApiError) => error.httpStatus === 503 && error.retryAfterMs === 0);
    assert.equal(proxy.seen.length, 3);
    proxy.refuseNext(1, 429, '3600');
    const started = Date.now();
    await assert.rejects(viaFront.status('00000000-0000-4000-8000-000000000000'), (error: ApiError) => error.error_code === 429001 && error.retryAfterMs === 3_600_000);
    assert.ok(Date.now() - started < 1000);
  });

  test('the real rate limiter\'s 429 carries Retry-After, which the client reads', async () => {
    const limited = await createHarness({ env: { MODELGATE_RATE_LIMIT_PER_MINUTE: '1' } });
    try {
      await limited.app.listen({ host: '127.0.0.1', port: 0 });
      const port = (limited.app.server.address() as { port: number }).port;
      const strict = new ModelGateClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: limited.key, retry: { retries: 1, maxDelayMs: 100 } });
      await strict.listModels();
      const error = await strict.listModels().catch((thrown: unknown) => thrown);
      assert.ok(error instanceof ApiError);
      assert.equal(error.error_code, 429001);
      assert.ok(error.retryAfterMs !== undefined && error.retryAfterMs > 0 && error.retryAfterMs <= 60_000, String(error.retryAfterMs));
    } finally {
      await limited.close();
    }
  });
});
