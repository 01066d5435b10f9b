import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createHarness, type Harness, MODELS } from '../support/harness.ts';

describe('Idempotency-Key on submit', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness();
  });
  after(() => h.close());

  const submit = (body: Record<string, unknown>, key?: string, auth = h.auth, model: string = MODELS.dreamina) =>
    h.app.inject({ method: 'POST', url: `/v1/models/${model}`, headers: { ...auth, ...(key === undefined ? {} : { 'idempotency-key': key }) }, payload: body });

  test('K concurrent identical POSTs with one key: one job, K identical answers', async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, () => submit({ prompt: 'once', scale: 0.3 }, 'order-42')));
    assert.ok(answers.every((a) => a.statusCode === 200));
    assert.equal(new Set(answers.map((a) => a.body)).size, 1);
    // Field order does not matter for a retry.
    const reordered = await submit({ scale: 0.3, prompt: 'once' }, 'order-42');
    assert.equal(reordered.json().request_id, answers[0]!.json().request_id);
    const position = (await h.app.inject({ method: 'GET', url: `/v1/requests/${answers[0]!.json().request_id}/status`, headers: h.auth })).json().queue_position;
    const next = (await submit({ prompt: 'after' })).json().request_id;
    const nextPosition = (await h.app.inject({ method: 'GET', url: `/v1/requests/${next}/status`, headers: h.auth })).json().queue_position;
    assert.equal(nextPosition, position + 1, 'exactly one job was queued for the ten requests');
  });

  test('the same key with a different body or model is a 422 naming the header', async () => {
    await submit({ prompt: 'first' }, 'k-mismatch');
    for (const res of [await submit({ prompt: 'second' }, 'k-mismatch'), await submit({ prompt: 'first' }, 'k-mismatch', h.auth, MODELS.seedream)]) {
      assert.equal(res.statusCode, 422);
      assert.equal(res.json().error_code, 422001);
      assert.deepEqual(res.json().detail[0].loc, ['header', 'idempotency-key']);
    }
  });

  test('keys belong to the API key: another key with the same value gets its own job', async () => {
    const other = await h.newKey('other');
    const mine = (await submit({ prompt: 'shared key value' }, 'same-value')).json().request_id;
    const theirs = (await submit({ prompt: 'shared key value' }, 'same-value', other.auth)).json().request_id;
    assert.notEqual(mine, theirs);
  });

  test('a malformed key is refused; no key means no deduplication', async () => {
    assert.equal((await submit({ prompt: 'x' }, 'has space')).statusCode, 422);
    assert.equal((await submit({ prompt: 'x' }, 'k'.repeat(256))).statusCode, 422);
    const a = (await submit({ prompt: 'same' })).json().request_id;
    const b = (await submit({ prompt: 'same' })).json().request_id;
    assert.notEqual(a, b);
  });
});
