import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createHarness, type Harness, MODELS, waitFor } from '../support/harness.ts';

describe('submit → status → result → cancel through inject()', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness();
  });
  after(() => h.close());

  const submit = (model: string, body: unknown, auth = h.auth) =>
    h.app.inject({ method: 'POST', url: `/v1/models/${model}`, headers: auth, payload: body as object });
  const get = (path: string, auth = h.auth) => h.app.inject({ method: 'GET', url: path, headers: auth });

  test('submit answers 200 with the four documented fields and absolute URLs', async () => {
    const res = await submit(MODELS.dreamina, { prompt: 'A beautiful girl is walking on the street' });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), ['cancel_url', 'request_id', 'result_url', 'status_url']);
    assert.match(body.request_id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, "a UUIDv7: time-ordered, with 74 random bits");
    assert.equal(body.status_url, `${h.ctx.config.publicUrl}/v1/requests/${body.request_id}/status`);
    assert.equal(body.result_url, `${h.ctx.config.publicUrl}/v1/requests/${body.request_id}/result`);
    assert.equal(body.cancel_url, `${h.ctx.config.publicUrl}/v1/requests/${body.request_id}/cancel`);
  });

  test('queued jobs show 0-based, increasing queue positions; result says in_queue', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await submit(MODELS.seedream, { prompt: `p${i}` })).json().request_id);
    const all = [];
    for (const id of ids) all.push((await get(`/v1/requests/${id}/status`)).json());
    const positions = all.map((s) => s.queue_position);
    assert.ok(all.every((s) => s.status === 'in_queue'));
    assert.deepEqual(positions, [positions[0], positions[0] + 1, positions[0] + 2]);
    const result = (await get(`/v1/requests/${ids[0]}/result`)).json();
    assert.equal(result.status, 'in_queue');
    assert.equal(result.output, undefined);
    assert.match(result.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  test('cancel of a queued job answers cancelled, twice, and the job never runs', async () => {
    const id = (await submit(MODELS.dreamina, { prompt: 'to cancel' })).json().request_id;
    const first = await h.app.inject({ method: 'POST', url: `/v1/requests/${id}/cancel`, headers: h.auth });
    assert.equal(first.statusCode, 200);
    assert.deepEqual(first.json(), { request_id: id, status: 'cancelled', outcome: 'cancelled' });
    const again = await h.app.inject({ method: 'POST', url: `/v1/requests/${id}/cancel`, headers: { ...h.auth, 'content-type': 'application/json' } });
    assert.deepEqual(again.json(), { request_id: id, status: 'cancelled', outcome: 'cancelled' });
    assert.equal((await get(`/v1/requests/${id}/result`)).json().status, 'cancelled');
  });

  test('a worker runs queued jobs to completion and outputs download with the right type', async () => {
    h.startWorkers(2);
    const id = (await submit(MODELS.dreamina, { prompt: 'sleep=300' })).json().request_id;
    const running = await waitFor(() => get(`/v1/requests/${id}/status`).then((r) => r.json()), (s) => s.status !== 'in_queue');
    assert.ok(['in_progress', 'completed'].includes(running.status));
    const done = await waitFor(() => get(`/v1/requests/${id}/status`).then((r) => r.json()), (s) => s.status === 'completed');
    assert.equal(done.queue_position, undefined);
    const cancel = await h.app.inject({ method: 'POST', url: `/v1/requests/${id}/cancel`, headers: h.auth });
    assert.deepEqual(cancel.json(), { request_id: id, status: 'completed', outcome: 'not_cancellable' });
    const result = (await get(`/v1/requests/${id}/result`)).json();
    assert.equal(result.status, 'succeeded');
    assert.ok(result.finished_at >= result.created_at);
    const url = new URL(result.output.image);
    const file = await h.app.inject({ method: 'GET', url: url.pathname });
    assert.equal(file.statusCode, 200);
    assert.equal(file.headers['content-type'], 'image/png');
    assert.equal(file.headers['x-content-type-options'], 'nosniff');
    assert.equal(file.rawPayload.subarray(1, 4).toString(), 'PNG');
    const range = await h.app.inject({ method: 'GET', url: url.pathname, headers: { range: 'bytes=0-3' } });
    assert.equal(range.statusCode, 206);
    assert.equal(range.rawPayload.length, 4);
  });

  test('several outputs come back as `images`; a failing engine gives failed + error on result, completed on status', async () => {
    const many = (await submit(MODELS.seedream, { prompt: 'images=3' })).json().request_id;
    const failing = (await submit(MODELS.dreamina, { prompt: 'fail' })).json().request_id;
    const manyResult = await waitFor(() => get(`/v1/requests/${many}/result`).then((r) => r.json()), (r) => r.status === 'succeeded');
    assert.equal(manyResult.output.images.length, 3);
    assert.equal(manyResult.output.image, undefined);
    const failStatus = await waitFor(() => get(`/v1/requests/${failing}/status`).then((r) => r.json()), (s) => s.status === 'completed');
    assert.equal(failStatus.status, 'completed');
    const failResult = (await get(`/v1/requests/${failing}/result`)).json();
    assert.equal(failResult.status, 'failed');
    assert.deepEqual(failResult.error, { type: 'test_failure', message: 'the test engine was asked to fail' });
    assert.equal(failResult.output, undefined);
  });
});
