/**
 * The upstream engine against what networks and providers do, injected by the fault proxy in
 * front of a real second ModelGate: 429/503 with Retry-After, dropped connections while polling,
 * a submit whose response is lost after the upstream committed it, an upstream that stays down,
 * and output URLs on another origin.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { routeOf } from '../support/fault-proxy.ts';
import { SMALL_PNG_DATA_URI } from '../support/models.ts';
import { MODELS, startFront, startUpstream, type Front, type Upstream } from './upstream-helpers.ts';

const SMALL_PNG = Buffer.from(SMALL_PNG_DATA_URI.split(',')[1]!, 'base64');
const STATUS = 'GET /v1/requests/*/status';

describe('upstream engine under faults', () => {
  let up: Upstream;
  let front: Front;
  before(async () => {
    up = await startUpstream();
    front = await startFront(up.proxy.url, up.h.key);
  });
  beforeEach(() => {
    up.proxy.rule = () => 'pass';
    up.proxy.requests.length = 0;
  });
  after(async () => {
    await front?.close();
    await up?.close();
  });

  const statusPolls = () => up.proxy.requests.filter((r) => `${r.method} ${routeOf(r.path)}` === STATUS);

  test('429 and 503 with Retry-After are honoured: the next poll waits at least that long, and the job completes', async () => {
    up.proxy.rule = (req, seen) => {
      const route = `${req.method} ${routeOf(req.path)}`;
      if (route === STATUS && seen === 0) return { status: 429, headers: { 'retry-after': '1' }, json: { error_code: 429001, error_message: 'rate limited' } };
      if (route === STATUS && seen === 1) return { status: 503, headers: { 'retry-after': '1' } };
      return 'pass';
    };
    const result = await front.finished(await front.submit(MODELS.dreamina, { prompt: 'a cat' }));
    assert.equal(result.status, 'succeeded', JSON.stringify(result));
    const polls = statusPolls();
    assert.ok(polls.length >= 3, `polls: ${polls.length}`);
    // poll_min_ms is 50 in these tests: without Retry-After the gaps would be well under a second.
    assert.ok(polls[1]!.at - polls[0]!.at >= 950, `gap after 429: ${polls[1]!.at - polls[0]!.at} ms`);
    assert.ok(polls[2]!.at - polls[1]!.at >= 950, `gap after 503: ${polls[2]!.at - polls[1]!.at} ms`);
    assert.match(front.logs(), /"retry_after_ms":1000/);
  });

  test('connections dropped while polling are retried within the attempt', async () => {
    up.proxy.rule = (req, seen) => (`${req.method} ${routeOf(req.path)}` === STATUS && seen < 3 ? 'drop' : 'pass');
    const id = await front.submit(MODELS.dreamina, { prompt: 'sleep=300 a cat' });
    const result = await front.finished(id);
    assert.equal(result.status, 'succeeded', JSON.stringify(result));
    assert.ok(statusPolls().length >= 4);
    assert.match(front.logs(), /upstream call failed; retrying/);
    const attempts = await front.ctx.store.getJob(id, front.keyId);
    assert.equal(attempts?.attempt, 1, 'no second attempt was needed');
  });

  test('a submit whose response is lost is retried with the same Idempotency-Key: one upstream job', async () => {
    const before = up.runs().length;
    up.proxy.rule = (req, seen) => (req.method === 'POST' && req.path.startsWith('/v1/models/') && seen === 0 ? 'forward-then-drop' : 'pass');
    const id = await front.submit(MODELS.reframe, { image: SMALL_PNG_DATA_URI, resolution: '1152:864 (4:3)' });
    const result = await front.finished(id);
    assert.equal(result.status, 'succeeded', JSON.stringify(result));
    const submits = up.proxy.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/v1/models/'));
    assert.equal(submits.length, 2, 'the submit was sent twice');
    assert.deepEqual(submits.map((r) => r.headers['idempotency-key']), [`modelgate-${id}-1`, `modelgate-${id}-1`]);
    assert.equal(up.runs().length - before, 1, 'and the upstream ran one job');
    const file = await front.app.inject({ method: 'GET', url: new URL(result.output.image).pathname });
    assert.deepEqual(file.rawPayload, SMALL_PNG);
  });

  test('an output URL on another origin goes through the SSRF-safe fetcher, which refuses a plain-http loopback URL', async () => {
    up.proxy.rule = (req) => (req.method === 'GET' && routeOf(req.path) === '/v1/requests/*/result'
      ? { status: 200, json: { request_id: 'x', status: 'succeeded', output: { image: 'http://127.0.0.1:9/elsewhere.png' }, created_at: new Date().toISOString() } }
      : 'pass');
    const result = await front.finished(await front.submit(MODELS.dreamina, { prompt: 'a cat' }));
    assert.equal(result.status, 'failed');
    assert.equal(result.error.type, 'upstream_bad_output');
    assert.match(result.error.message, /http:\/\/127\.0\.0\.1:9/);
    assert.match(result.error.message, /must use https/);
    assert.match(result.error.message, /output_allow_hosts/);
  });

  test('file_inputs "upload": the checked file is re-uploaded with POST /v1/files and the job runs on it', async () => {
    const uploading = await startFront(up.proxy.url, up.h.key, { engine: { file_inputs: 'upload' } });
    try {
      const result = await uploading.finished(await uploading.submit(MODELS.reframe, { image: SMALL_PNG_DATA_URI, resolution: '1152:864 (4:3)' }));
      assert.equal(result.status, 'succeeded', JSON.stringify(result));
      assert.equal(up.proxy.requests.filter((r) => r.method === 'POST' && r.path === '/v1/files').length, 1);
      const file = await uploading.app.inject({ method: 'GET', url: new URL(result.output.image).pathname });
      assert.deepEqual(file.rawPayload, SMALL_PNG);
    } finally {
      await uploading.close();
    }
  });

  test('file_inputs "upload" to an upstream without POST /v1/files: a failed job saying so, not an engine crash', async () => {
    up.proxy.rule = (req) => (req.path === '/v1/files' ? { status: 404, json: { error_code: 404001, error_message: 'Not found' } } : 'pass');
    const uploading = await startFront(up.proxy.url, up.h.key, { engine: { file_inputs: 'upload' } });
    try {
      const result = await uploading.finished(await uploading.submit(MODELS.runway, { promptText: 'a pan', promptImage: SMALL_PNG_DATA_URI }));
      assert.equal(result.status, 'failed');
      assert.equal(result.error.type, 'upstream_rejected');
      assert.match(result.error.message, /upload of promptImage .*needs a ModelGate upstream.*HTTP 404, 404001/);
    } finally {
      await uploading.close();
    }
  });
});

describe('upstream engine: an upstream that stays down', () => {
  let up: Upstream;
  before(async () => {
    up = await startUpstream();
  });
  after(async () => {
    await up?.close();
  });

  test('5xx past retry_budget_s: the job is requeued (upstream_unavailable) and fails with it once MODELGATE_MAX_ATTEMPTS is spent', async () => {
    up.proxy.rule = (req) => (req.method === 'POST' && req.path.startsWith('/v1/models/') ? { status: 502 } : 'pass');
    const front = await startFront(up.proxy.url, up.h.key, { engine: { retry_budget_s: 0.3 } });
    try {
      const id = await front.submit(MODELS.dreamina, { prompt: 'a cat' });
      const result = await front.finished(id);
      assert.equal(result.status, 'failed');
      assert.equal(result.error.type, 'upstream_unavailable');
      assert.match(result.error.message, /HTTP 502/);
      const job = await front.ctx.store.getJob(id, front.keyId);
      assert.equal(job?.attempt, front.ctx.config.maxAttempts, 'every attempt was spent');
      assert.equal(up.runs().length, 0);
    } finally {
      await front.close();
    }
  });
});
