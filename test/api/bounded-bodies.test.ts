/**
 * Issue 11, "one request stalls everyone": a submit's cost and its answer are bounded whatever
 * the body holds. A million unknown keys are refused before the object is built, with a small
 * answer, while /healthz keeps answering; text fields without a seed maxLength have a ceiling;
 * the detail list is capped and names how many errors it leaves out; long keys are cut.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { MAX_DETAIL_ENTRIES } from '../../src/catalog/bounded-detail.ts';
import { MAX_STRING_LENGTH } from '../../src/catalog/normalise.ts';
import { createHarness, type Harness, MODELS } from '../support/harness.ts';
import { dataUri, makeImage, padPng } from '../support/media.ts';

const MAX_ANSWER_BYTES = 64 * 1024;

describe('bounded bodies: every submit is answered quickly and briefly', () => {
  let h: Harness;
  let base: string;
  before(async () => {
    h = await createHarness();
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  });
  after(() => h.close());

  const submit = (model: string, body: string) =>
    fetch(`${base}/v1/models/${model}`, { method: 'POST', headers: { ...h.auth, 'content-type': 'application/json' }, body });

  const detailOf = async (model: string): Promise<Record<string, any>> => (await fetch(`${base}/v1/models/${model}`, { headers: h.auth })).json() as Promise<Record<string, any>>;

  async function answer(res: Response): Promise<{ status: number; bytes: number; body: Record<string, any> }> {
    const text = await res.text();
    return { status: res.status, bytes: Buffer.byteLength(text), body: JSON.parse(text) };
  }

  test('a million unknown keys: 422001 naming the ceiling, a small answer, and /healthz answers meanwhile', { timeout: 10_000 }, async () => {
    const body = `{"prompt":"a cat",${Array.from({ length: 1_000_000 }, (_, i) => `"k${i}":0`).join(',')}}`;
    assert.ok(body.length > 11_000_000);
    let done = false;
    const submitted = submit(MODELS.seedream, body).then(answer).finally(() => (done = true));
    // Probe /healthz over real HTTP for as long as the submit is in flight: each probe must answer.
    let slowest = 0;
    let probes = 0;
    while (!done) {
      const started = performance.now();
      const health = await fetch(`${base}/healthz`);
      await health.arrayBuffer();
      assert.equal(health.status, 200);
      slowest = Math.max(slowest, performance.now() - started);
      probes++;
    }
    const { status, bytes, body: envelope } = await submitted;
    assert.equal(status, 422);
    assert.equal(envelope.error_code, 422001);
    assert.ok(bytes <= MAX_ANSWER_BYTES, `answer of ${bytes} bytes`);
    assert.deepEqual(envelope.detail, [{ loc: ['body'], msg: 'an object with more than 256 keys', type: 'too_many_keys' }]);
    assert.match(envelope.error_message, /more than 256 keys/);
    assert.ok(probes >= 1);
    // Generous (the unbounded path took 15–26 s); the bench measures the real figure.
    assert.ok(slowest < 2_000, `a /healthz probe waited ${Math.round(slowest)} ms`);
  });

  test('a text field without a seed maxLength takes MAX_STRING_LENGTH characters, and no more', async () => {
    assert.equal((await submit(MODELS.seedream, JSON.stringify({ prompt: 'p'.repeat(MAX_STRING_LENGTH) }))).status, 200);
    const { status, bytes, body } = await answer(await submit(MODELS.seedream, JSON.stringify({ prompt: 'p'.repeat(13 * 1024 * 1024) })));
    assert.equal(status, 422);
    assert.equal(body.error_code, 422001);
    assert.ok(bytes <= MAX_ANSWER_BYTES);
    assert.deepEqual(body.detail, [{ loc: ['body', 'prompt'], msg: `must be at most ${MAX_STRING_LENGTH} characters`, type: 'max_length' }]);
    assert.match(body.error_message, /prompt/);
  });

  test('a string far over its limit is reported with the input\'s other errors, and counted in characters', async () => {
    const { status, body } = await answer(await submit(MODELS.dreamina, JSON.stringify({ prompt: 'p'.repeat(5_000_000), scale: 7 })));
    assert.equal(status, 422);
    assert.deepEqual(body.detail.map((d: { loc: unknown[]; type: string }) => [d.loc, d.type]), [[['body', 'prompt'], 'max_length'], [['body', 'scale'], 'less_than_equal']]);
    // 800 characters of two UTF-16 units each (1,600 units) are within dreamina's 800.
    assert.equal((await submit(MODELS.dreamina, JSON.stringify({ prompt: '😀'.repeat(800) }))).status, 200);
    assert.equal((await submit(MODELS.dreamina, JSON.stringify({ prompt: '😀'.repeat(801) }))).status, 422);
  });

  test('prototype-poisoning keys are refused however they are spelt and wherever they sit', async () => {
    for (const body of ['{"prompt":"x","\\u005f_proto__":{"a":1}}', '{"prompt":"x","style":{"constructor":{"prototype":{"a":1}}}}', '{"prompt":"x","style":[{"__proto__":{}}]}']) {
      const { status, body: envelope } = await answer(await submit(MODELS.reframe, body));
      assert.equal(status, 422, body);
      assert.equal(envelope.detail[0].type, 'json_invalid', body);
    }
  });

  test('a free-form object is bounded by its length written as JSON', async () => {
    const image = dataUri(await makeImage(16, 16, 'png'));
    const ok = await submit(MODELS.reframe, JSON.stringify({ image, resolution: '1152:864 (4:3)', style: { name: 'ink' } }));
    assert.equal(ok.status, 200, await ok.text());
    const style = { a: 'x'.repeat(MAX_STRING_LENGTH / 2), b: { c: ['y'.repeat(MAX_STRING_LENGTH / 2)] } };
    const { status, body } = await answer(await submit(MODELS.reframe, JSON.stringify({ image, resolution: '1152:864 (4:3)', style })));
    assert.equal(status, 422);
    assert.deepEqual(body.detail, [{ loc: ['body', 'style'], msg: `must be at most ${MAX_STRING_LENGTH} characters written as JSON`, type: 'max_length' }]);
  });

  test('a file field keeps its own limits: a 2 MB data: URI is accepted', async () => {
    const image = dataUri(padPng(await makeImage(32, 32, 'png'), 2 * 1024 * 1024));
    assert.ok(image.length > MAX_STRING_LENGTH * 100);
    const res = await submit(MODELS.reframe, JSON.stringify({ image, resolution: '1152:864 (4:3)' }));
    assert.equal(res.status, 200, (await res.text()).slice(0, 500));
  });

  test('the detail list is capped, and its last entry says how many errors were left out', async () => {
    const unknown = Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`extra_${i}`, i]));
    const { status, bytes, body } = await answer(await submit(MODELS.seedream, JSON.stringify({ prompt: 'a cat', ...unknown })));
    assert.equal(status, 422);
    assert.ok(bytes <= MAX_ANSWER_BYTES);
    assert.equal(body.detail.length, MAX_DETAIL_ENTRIES + 1);
    assert.deepEqual(body.detail[0], { loc: ['body', 'extra_0'], msg: "unknown field: not part of this model's input schema", type: 'extra_forbidden' });
    assert.deepEqual(body.detail.at(-1), { loc: ['body'], msg: 'and 200 more errors, not listed', type: 'too_many_errors' });
    assert.match(body.error_message, /extra_49, and 200 more errors, not listed\.$/);
  });

  test('an unknown key of 100 KB is cut in the answer, which stays small however long the keys', async () => {
    const key = 'k'.repeat(100_000);
    const { status, bytes, body } = await answer(await submit(MODELS.seedream, JSON.stringify({ prompt: 'a cat', [key]: 1 })));
    assert.equal(status, 422);
    assert.ok(bytes < 2_000, `answer of ${bytes} bytes`);
    assert.equal(body.detail[0].loc[1], `${'k'.repeat(100)}… (99,900 more characters)`);
    // The worst the caps allow: 250 keys of 1,000 three-byte characters each.
    const wide = Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`${i}${'字'.repeat(1_000)}`, i]));
    const worst = await answer(await submit(MODELS.seedream, JSON.stringify({ prompt: 'a cat', ...wide })));
    assert.equal(worst.status, 422);
    assert.ok(worst.bytes <= MAX_ANSWER_BYTES, `answer of ${worst.bytes} bytes`);
  });

  test('the model detail shows the ceilings it enforces; file fields have none', async () => {
    const seedream = await detailOf(MODELS.seedream);
    assert.equal(seedream.input_schema.properties.prompt.maxLength, MAX_STRING_LENGTH);
    const reframe = await detailOf(MODELS.reframe);
    assert.equal(reframe.input_schema.properties.image.maxLength, undefined);
    assert.equal(reframe.input_schema.properties.style['x-maxJsonLength'], MAX_STRING_LENGTH);
    const dreamina = await detailOf(MODELS.dreamina);
    assert.equal(dreamina.input_schema.properties.prompt.maxLength, 800); // the seed's own limit stands
  });
});
