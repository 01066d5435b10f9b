/**
 * Issue 12, item 5: fields the model's schema does not list. Refused by default (a typo must not
 * silently become a default); with MODELGATE_UNKNOWN_INPUTS=ignore, dropped before validation,
 * named in `ignored_fields` on the submit answer and the job's views, and never given to the engine.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';
import type { Engine, EngineJob } from '../../src/engines/engine.ts';
import { createHarness, type Harness, MODELS, waitFor } from '../support/harness.ts';
import { SMALL_PNG_DATA_URI } from '../support/models.ts';
import { createTestEngine } from '../support/test-engine.ts';

const BASE_ANSWER_KEYS = ['cancel_url', 'request_id', 'result_url', 'status_url'];

function submitter(h: Harness) {
  return (body: Record<string, unknown>, headers: Record<string, string> = {}, model: string = MODELS.dreamina) =>
    h.app.inject({ method: 'POST', url: `/v1/models/${model}`, headers: { ...h.auth, 'content-type': 'application/json', ...headers }, payload: JSON.stringify(body) });
}

test('MODELGATE_UNKNOWN_INPUTS is reject (default) or ignore; anything else stops the start naming it', () => {
  assert.equal(loadConfig({}).unknownInputs, 'reject');
  assert.equal(loadConfig({ MODELGATE_UNKNOWN_INPUTS: 'ignore' }).unknownInputs, 'ignore');
  for (const value of ['drop', 'IGNORE', 'true']) {
    assert.throws(() => loadConfig({ MODELGATE_UNKNOWN_INPUTS: value }), (error: unknown) => error instanceof ConfigError && error.message.includes('MODELGATE_UNKNOWN_INPUTS'), value);
  }
});

describe('unknown input fields, by default', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness();
  });
  after(() => h.close());

  test('are refused with 422001, each named as extra_forbidden, and no job is made', async () => {
    const res = await submitter(h)({ prompt: 'a cat', lora_path: '/loras/x.safetensors', webhook: 'https://example.com/hook' });
    assert.equal(res.statusCode, 422, res.body);
    const envelope = res.json();
    assert.equal(envelope.error_code, 422001);
    assert.deepEqual(
      envelope.detail.map((d: { loc: unknown[]; type: string }) => [d.loc, d.type]),
      [[['body', 'lora_path'], 'extra_forbidden'], [['body', 'webhook'], 'extra_forbidden']],
    );
  });
});

describe('unknown input fields, with MODELGATE_UNKNOWN_INPUTS=ignore', () => {
  let h: Harness;
  const received = new Map<string, EngineJob['input']>();

  before(async () => {
    // The test engine, recording the input each job ran with.
    const recording = (name: string): Engine => {
      const inner = createTestEngine(name);
      return { ...inner, run: (job, context) => (received.set(job.requestId, job.input), inner.run(job, context)) };
    };
    h = await createHarness({ env: { MODELGATE_UNKNOWN_INPUTS: 'ignore' }, engines: { builtin: recording('builtin'), onnx: recording('onnx') } });
  });
  after(() => h.close());

  const view = async (id: string, route: 'status' | 'result') => (await h.app.inject({ method: 'GET', url: `/v1/requests/${id}/${route}`, headers: h.auth })).json();

  test('are dropped and listed (sorted) on the answer, the status, the result and the record; the engine never sees them', async () => {
    const res = await submitter(h)({ webhook: 'https://example.com/hook', prompt: 'a cat', lora_path: '/loras/x.safetensors' });
    assert.equal(res.statusCode, 200, res.body);
    const answer = res.json();
    assert.deepEqual(Object.keys(answer).sort(), [...BASE_ANSWER_KEYS, 'ignored_fields'].sort());
    assert.deepEqual(answer.ignored_fields, ['lora_path', 'webhook']);
    const id = answer.request_id as string;

    const queued = await view(id, 'status');
    assert.equal(queued.status, 'in_queue');
    assert.deepEqual(queued.ignored_fields, ['lora_path', 'webhook']);
    const record = await h.ctx.store.getJob(id, h.keyId);
    assert.deepEqual(record?.ignoredFields, ['lora_path', 'webhook']);
    assert.ok(!('lora_path' in record!.input) && !('webhook' in record!.input), 'the stored input is without them');

    h.startWorkers(1);
    const result = await waitFor(() => view(id, 'result'), (r) => r.status === 'succeeded' || r.status === 'failed');
    assert.equal(result.status, 'succeeded', JSON.stringify(result));
    assert.deepEqual(result.ignored_fields, ['lora_path', 'webhook']);
    assert.deepEqual((await view(id, 'status')).ignored_fields, ['lora_path', 'webhook']);
    const input = received.get(id);
    assert.ok(input, 'the engine ran the job');
    assert.equal(input.prompt, 'a cat');
    assert.ok(!('lora_path' in input) && !('webhook' in input), `the engine got ${JSON.stringify(input)}`);
  });

  test('a body without unknown fields answers exactly as RunComfy does, and its views have no ignored_fields', async () => {
    const res = await submitter(h)({ prompt: 'plain' });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(Object.keys(res.json()).sort(), BASE_ANSWER_KEYS);
    const id = res.json().request_id as string;
    assert.ok(!('ignored_fields' in (await view(id, 'status'))));
    assert.ok(!('ignored_fields' in (await view(id, 'result'))));
  });

  test('the known fields are still validated; an unknown field never hides a bad known one', async () => {
    const res = await submitter(h)({ prompt: 'a cat', scale: 99, lora_path: 'x' });
    assert.equal(res.statusCode, 422, res.body);
    assert.deepEqual(res.json().detail.map((d: { loc: unknown[] }) => d.loc), [['body', 'scale']]);
    const missing = await submitter(h)({ lora_path: 'x' });
    assert.deepEqual(missing.json().detail.map((d: { loc: unknown[]; type: string }) => [d.loc, d.type]), [[['body', 'prompt'], 'missing']]);
  });

  test('only the top level: unknown keys inside a free-form object are that field\'s and are kept', async () => {
    const res = await submitter(h)({ image: SMALL_PNG_DATA_URI, resolution: '1152:864 (4:3)', style: { name: 'ink', custom: 1 }, strength: 0.5 }, {}, MODELS.reframe);
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json().ignored_fields, ['strength']);
    const record = await h.ctx.store.getJob(res.json().request_id, h.keyId);
    assert.deepEqual(record?.input.style, { name: 'ink', custom: 1 });
  });

  test('an idempotent replay of the same body answers the same ignored_fields and the same job', async () => {
    const body = { prompt: 'once', lora_path: 'a', extra: true };
    const first = await submitter(h)(body, { 'idempotency-key': 'ignored-1' });
    const replay = await submitter(h)({ extra: true, lora_path: 'a', prompt: 'once' }, { 'idempotency-key': 'ignored-1' });
    assert.equal(first.statusCode, 200, first.body);
    assert.equal(replay.body, first.body);
    assert.deepEqual(replay.json().ignored_fields, ['extra', 'lora_path']);
    const changed = await submitter(h)({ ...body, lora_path: 'b' }, { 'idempotency-key': 'ignored-1' });
    assert.equal(changed.statusCode, 422, 'a different ignored value is a different request');
  });

  test('past 50 unknown fields, or a name over 100 characters, the body is refused as without the setting', async () => {
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`extra_${i}`, i]));
    const tooMany = await submitter(h)({ prompt: 'x', ...many });
    assert.equal(tooMany.statusCode, 422, tooMany.body);
    assert.equal(tooMany.json().detail[0].type, 'extra_forbidden');
    const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`extra_${i}`, i]));
    assert.equal((await submitter(h)({ prompt: 'x', ...fifty })).json().ignored_fields.length, 50);
    const long = await submitter(h)({ prompt: 'x', ['n'.repeat(101)]: 1 });
    assert.equal(long.statusCode, 422, long.body);
    assert.equal(long.json().detail[0].type, 'extra_forbidden');
  });
});
