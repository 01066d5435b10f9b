/**
 * GET /metrics through the real server and workers: the series an operator alerts on, with the
 * counts the jobs just run must give, and the token rules (API keys never open it; unset, off).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHarness, MODELS, submitAndWait, type Harness } from '../support/harness.ts';

const TOKEN = 'metrics-token-0123456789abcdef';
const env = { MODELGATE_METRICS_TOKEN: TOKEN };

async function scrape(h: Harness): Promise<string> {
  const res = await h.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(res.statusCode, 200, res.body);
  assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  return res.body;
}

/** The value of one sample, found by its exact name and label set as prom-client writes them. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('after jobs run: outcomes, run and wait histograms per model and engine, engine errors, HTTP latency by route template', async () => {
  const h = await createHarness({ env });
  try {
    h.startWorkers(1);
    for (const prompt of ['a', 'b']) assert.equal((await submitAndWait(h, MODELS.dreamina, { prompt })).status, 'succeeded');
    assert.equal((await submitAndWait(h, MODELS.dreamina, { prompt: 'fail' })).status, 'failed');
    const text = await scrape(h);
    const model = MODELS.dreamina;
    assert.equal(sample(text, `modelgate_jobs_finished_total{model="${model}",outcome="succeeded"}`), 2);
    assert.equal(sample(text, `modelgate_jobs_finished_total{model="${model}",outcome="failed"}`), 1);
    assert.equal(sample(text, `modelgate_job_run_seconds_count{model="${model}",engine="onnx"}`), 3);
    assert.equal(sample(text, `modelgate_job_wait_seconds_count{model="${model}",engine="onnx"}`), 3);
    assert.equal(sample(text, `modelgate_engine_errors_total{engine="onnx",type="test_failure"}`), 1);
    assert.equal(sample(text, `modelgate_http_request_duration_seconds_count{method="POST",route="/v1/models/*",status="200"}`), 3, text.split('\n').filter((l) => l.includes('route=')).slice(0, 5).join('\n'));
    assert.ok((sample(text, `modelgate_http_request_duration_seconds_count{method="GET",route="/v1/requests/:request_id/result",status="200"}`) ?? 0) >= 3, 'polls are one series, not one per request id');
    assert.doesNotMatch(text, /route="\/v1\/requests\/[0-9a-f]{8}-/, 'no raw request ids in labels');
    assert.match(text, /# TYPE modelgate_attempts_lost_total counter/);
  } finally {
    await h.close();
  }
});

test('queue depth per model is read from the store at scrape time', async () => {
  const h = await createHarness({ env });
  try {
    for (const prompt of ['x', 'y']) {
      const res = await h.app.inject({ method: 'POST', url: `/v1/models/${MODELS.dreamina}`, headers: h.auth, payload: { prompt } });
      assert.equal(res.statusCode, 200, res.body);
    }
    assert.equal(sample(await scrape(h), `modelgate_jobs{model="${MODELS.dreamina}",state="queued"}`), 2);
  } finally {
    await h.close();
  }
});

test('the token: missing, wrong, or an API key → 401001; MODELGATE_METRICS_TOKEN unset → the route is off (404001)', async () => {
  const h = await createHarness({ env });
  const off = await createHarness();
  try {
    for (const headers of [{}, { authorization: `Bearer ${TOKEN}x` }, { authorization: `Basic ${TOKEN}` }, h.auth]) {
      const res = await h.app.inject({ method: 'GET', url: '/metrics', headers });
      assert.equal(res.statusCode, 401, JSON.stringify(headers));
      assert.equal(res.json().error_code, 401001);
    }
    for (const headers of [{}, { authorization: `Bearer ${TOKEN}` }, off.auth]) {
      const res = await off.app.inject({ method: 'GET', url: '/metrics', headers });
      assert.equal(res.statusCode, 404);
      assert.equal(res.json().error_code, 404001);
    }
  } finally {
    await off.close();
    await h.close();
  }
});
