/**
 * The upstream engine through the API, real on both ends: a front ModelGate whose four models are
 * routed to an `upstream` engine, forwarding over loopback HTTP (through a recording proxy) to a
 * second ModelGate whose engine is the test engine (steered by prompt text).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SMALL_PNG_DATA_URI } from '../support/models.ts';
import { VIDEO_MARK } from '../support/test-engine.ts';
import { MODELS, startFront, startUpstream, waitFor, type Front, type Upstream } from './upstream-helpers.ts';

const SMALL_PNG = Buffer.from(SMALL_PNG_DATA_URI.split(',')[1]!, 'base64');

const SEEDREAM_PROMPT =
  'A vibrant close-up editorial portrait featuring a model with a sharp, piercing gaze, wearing a sculptural hat. Rich color blocking, crisp focus on the eyes, and a shallow depth of field create a striking visual impact. Styled with a Vogue cover aesthetic, captured in medium format, with bold and dramatic studio lighting.';

const SEED_REQUESTS = [
  { model: MODELS.reframe, body: { image: SMALL_PNG_DATA_URI, resolution: '1152:864 (4:3)' }, kind: 'image' },
  { model: MODELS.dreamina, body: { prompt: 'A beautiful girl is walking on the street' }, kind: 'image' },
  { model: MODELS.seedream, body: { prompt: SEEDREAM_PROMPT }, kind: 'image' },
  { model: MODELS.runway, body: { promptText: 'a slow pan', promptImage: SMALL_PNG_DATA_URI }, kind: 'video' },
] as const;

async function download(front: Front, url: string) {
  const res = await front.app.inject({ method: 'GET', url: new URL(url).pathname });
  return { status: res.statusCode, type: res.headers['content-type'], bytes: res.rawPayload };
}

describe('upstream engine: a front ModelGate forwarding to a second ModelGate', () => {
  let up: Upstream;
  let front: Front;
  before(async () => {
    up = await startUpstream();
    front = await startFront(up.proxy.url, up.h.key);
  });
  after(async () => {
    await front?.close();
    await up?.close();
  });

  test('progress from the upstream appears on the front\'s status route while running', async () => {
    const id = await front.submit(MODELS.dreamina, { prompt: 'sleep=4000 a red fox' });
    const running = await waitFor(() => front.status(id), (s) => s.status === 'completed' || (s.status === 'in_progress' && s.progress > 0.1), 30_000, 25);
    assert.equal(running.status, 'in_progress', JSON.stringify(running));
    assert.ok(running.progress < 1, JSON.stringify(running));
    const result = await front.finished(id);
    assert.equal(result.status, 'succeeded', JSON.stringify(result));
  });

  test('a job that fails upstream fails on the front with the upstream\'s error type and message', async () => {
    const result = await front.finished(await front.submit(MODELS.dreamina, { prompt: 'fail please' }));
    assert.equal(result.status, 'failed');
    assert.deepEqual(result.error, { type: 'test_failure', message: 'the test engine was asked to fail' });
    assert.ok(!up.proxy.requests.some((r) => r.path.endsWith('/cancel')), 'a job that ended upstream is not cancelled there');
  });

  test('the token goes upstream as a Bearer header on every call and never into the front\'s logs', () => {
    const calls = up.proxy.requests.filter((r) => r.path.startsWith('/v1/'));
    assert.ok(calls.length >= 4, `calls: ${calls.length}`);
    for (const call of calls) assert.equal(call.headers.authorization, `Bearer ${up.h.key}`, `${call.method} ${call.path}`);
    const logs = front.logs();
    assert.match(logs, /submitted to the upstream/, 'the capture sees the engine\'s log lines');
    assert.match(logs, /upstream status/, 'debug lines are captured too');
    assert.ok(!logs.includes(up.h.key), 'the token is not in the logs');
    assert.ok(!logs.includes(up.h.key.slice(3, 20)), 'nor any large piece of it');
  });

  test('Idempotency-Key is derived from the request id and attempt', async () => {
    const id = await front.submit(MODELS.dreamina, { prompt: 'a cat' });
    assert.equal((await front.finished(id)).status, 'succeeded');
    const submits = up.proxy.requests.filter((r) => r.method === 'POST' && r.path === `/v1/models/${MODELS.dreamina}`);
    assert.ok(submits.some((r) => r.headers['idempotency-key'] === `modelgate-${id}-1`), JSON.stringify(submits.map((r) => r.headers['idempotency-key'])));
  });

  test('the four seed requests complete through the front, served by the front\'s own URLs, which outlive the upstream', async () => {
    const jobs = await Promise.all(SEED_REQUESTS.map(async (seed) => ({ ...seed, id: await front.submit(seed.model, seed.body) })));
    const outputs: Array<{ kind: string; url: string }> = [];
    for (const job of jobs) {
      const result = await front.finished(job.id);
      assert.equal(result.status, 'succeeded', `${job.model}: ${JSON.stringify(result)}`);
      const url: string = result.output[job.kind];
      assert.ok(url.startsWith(`${front.ctx.config.publicUrl}/`), `${job.model}: ${url}`);
      assert.ok(!url.startsWith(up.proxy.url), url);
      outputs.push({ kind: job.kind, url });
    }
    // One upstream job per front attempt: as many runs upstream as distinct Idempotency-Keys sent.
    const keys = new Set(up.proxy.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/v1/models/')).map((r) => r.headers['idempotency-key']));
    assert.equal(up.runs().length, keys.size);
    await up.close();
    for (const [i, { kind, url }] of outputs.entries()) {
      const file = await download(front, url);
      assert.equal(file.status, 200, url);
      if (kind === 'image') {
        assert.equal(file.type, 'image/png');
        assert.equal(file.bytes.subarray(1, 4).toString(), 'PNG');
      } else {
        assert.equal(file.type, 'video/mp4');
        // The test engine wraps the input file it got: the upstream received our checked bytes.
        assert.deepEqual(file.bytes, Buffer.concat([VIDEO_MARK, SMALL_PNG]));
      }
      if (i === 0) assert.deepEqual(file.bytes, SMALL_PNG, 'reframe: the upstream got (and gave back) exactly the input bytes');
    }
  });
});

describe('upstream engine: refusals and mapping', () => {
  let up: Upstream;
  let front: Front;
  before(async () => {
    up = await startUpstream();
    front = await startFront(up.proxy.url, up.h.key, { engine: { models: { [MODELS.dreamina]: 'acme/no-such-model', [MODELS.seedream]: MODELS.runway } } });
  });
  after(async () => {
    await front?.close();
    await up?.close();
  });

  test('an upstream that does not know the mapped model: a failed job naming the code and the models option', async () => {
    const result = await front.finished(await front.submit(MODELS.dreamina, { prompt: 'a cat' }));
    assert.equal(result.status, 'failed');
    assert.equal(result.error.type, 'upstream_rejected');
    assert.match(result.error.message, /HTTP 400, 400001/);
    assert.match(result.error.message, /acme\/no-such-model/);
    assert.match(result.error.message, /"models" option/);
  });

  test('an upstream validation failure (422) is a failed job naming the upstream\'s field errors', async () => {
    const result = await front.finished(await front.submit(MODELS.seedream, { prompt: 'a cat' }));
    assert.equal(result.status, 'failed');
    assert.equal(result.error.type, 'upstream_rejected');
    assert.match(result.error.message, /HTTP 422, 422001/);
    assert.match(result.error.message, /promptText/);
    assert.ok(!result.error.message.includes(up.h.key));
  });

  test('a wrong token is upstream_auth naming the variable, not the value', async () => {
    const wrong = await startFront(up.proxy.url, 'mg_not-the-right-token');
    try {
      const result = await wrong.finished(await wrong.submit(MODELS.reframe, { image: SMALL_PNG_DATA_URI, resolution: '1152:864 (4:3)' }));
      assert.equal(result.status, 'failed');
      assert.equal(result.error.type, 'upstream_auth');
      assert.match(result.error.message, /HTTP 401, 401001/);
      assert.match(result.error.message, /MODELGATE_TEST_UPSTREAM_TOKEN_/);
      assert.ok(!result.error.message.includes('mg_not-the-right-token'));
      assert.ok(!wrong.logs().includes('mg_not-the-right-token'));
    } finally {
      await wrong.close();
    }
  });
});

describe('upstream engine: an upstream whose queue does not move', () => {
  let up: Upstream;
  before(async () => {
    up = await startUpstream({ workers: 0 });
  });
  after(async () => {
    await up?.close();
  });

  /** The id of the one job the front made upstream, once the front has started polling it. */
  async function upstreamJob(): Promise<string> {
    const submitted = await waitFor(() => up.proxy.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/v1/models/')), (list) => list.length > 0, 30_000, 25);
    assert.equal(submitted.length, 1);
    const statusPoll = await waitFor(() => up.proxy.requests.find((r) => r.path.endsWith('/status')), (r) => r !== undefined, 30_000, 25);
    return statusPoll!.path.split('/')[3]!;
  }

  test('stopping the front while the upstream job is queued cancels it upstream; the front job can then be cancelled', async () => {
    up.proxy.requests.length = 0;
    const front = await startFront(up.proxy.url, up.h.key, { workers: 1 });
    try {
      const id = await front.submit(MODELS.dreamina, { prompt: 'a cat' });
      const upstreamId = await upstreamJob();
      assert.equal((await front.status(id)).status, 'in_progress');
      const queued = await up.h.app.inject({ method: 'GET', url: `/v1/requests/${upstreamId}/status`, headers: up.h.auth });
      assert.equal(queued.json().status, 'in_queue');
      // Shutdown: the attempt is aborted and released; the engine cancels upstream on its way out.
      await front.pool.stop();
      const upstreamStatus = await up.h.app.inject({ method: 'GET', url: `/v1/requests/${upstreamId}/status`, headers: up.h.auth });
      assert.equal(upstreamStatus.json().status, 'cancelled');
      assert.ok(up.proxy.requests.some((r) => r.method === 'POST' && r.path === `/v1/requests/${upstreamId}/cancel`));
      assert.match(front.logs(), /asked the upstream to cancel its request/);
      assert.equal((await front.status(id)).status, 'in_queue', 'released, not failed');
      const cancel = await front.app.inject({ method: 'POST', url: `/v1/requests/${id}/cancel`, headers: front.auth });
      assert.equal(cancel.json().outcome, 'cancelled');
    } finally {
      await front.close();
    }
  });

  test('timeout_s: a job the upstream never starts fails with upstream_timeout, and is cancelled upstream', async () => {
    up.proxy.requests.length = 0;
    const front = await startFront(up.proxy.url, up.h.key, { workers: 1, engine: { timeout_s: 3 } });
    try {
      const result = await front.finished(await front.submit(MODELS.dreamina, { prompt: 'a cat' }));
      assert.equal(result.status, 'failed');
      assert.equal(result.error.type, 'upstream_timeout');
      assert.match(result.error.message, /timeout_s \(3 s\)/);
      const upstreamId = await upstreamJob();
      const upstreamStatus = await up.h.app.inject({ method: 'GET', url: `/v1/requests/${upstreamId}/status`, headers: up.h.auth });
      assert.equal(upstreamStatus.json().status, 'cancelled');
    } finally {
      await front.close();
    }
  });

  test('a request cancelled upstream fails the front job with upstream_cancelled', async () => {
    up.proxy.requests.length = 0;
    const front = await startFront(up.proxy.url, up.h.key, { workers: 1 });
    try {
      const id = await front.submit(MODELS.seedream, { prompt: 'a cat' });
      const upstreamId = await upstreamJob();
      const cancelled = await up.h.app.inject({ method: 'POST', url: `/v1/requests/${upstreamId}/cancel`, headers: up.h.auth });
      assert.equal(cancelled.json().outcome, 'cancelled');
      const result = await front.finished(id);
      assert.equal(result.status, 'failed');
      assert.equal(result.error.type, 'upstream_cancelled');
      assert.match(result.error.message, new RegExp(upstreamId));
    } finally {
      await front.close();
    }
  });
});
