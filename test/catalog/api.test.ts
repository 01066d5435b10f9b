/**
 * The catalog as the API shows it: validation failures as 422001 naming the field, unknown models
 * as 400001, the stored job input fully defaulted, and the GET /v1/models views.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createHarness, type Harness } from '../support/harness.ts';
import { MODELS } from './fixtures.ts';

describe('catalog through the API', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness();
  });
  after(() => h.close());

  const submit = (model: string, body: unknown) =>
    h.app.inject({ method: 'POST', url: `/v1/models/${model}`, headers: { ...h.auth, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
  const get = (path: string) => h.app.inject({ method: 'GET', url: path, headers: h.auth });

  /** Asserts a 422001 whose message names `field` and whose detail has an entry at ['body', field] of `type`. */
  async function expect422(model: string, body: unknown, field: string, type: string) {
    const res = await submit(model, body);
    assert.equal(res.statusCode, 422, res.body);
    const envelope = res.json();
    assert.equal(envelope.error_code, 422001);
    assert.equal(typeof envelope.error_message, 'string');
    assert.ok(envelope.error_message.includes(field), `error_message names ${field}: ${envelope.error_message}`);
    assert.ok(Array.isArray(envelope.detail));
    const entry = envelope.detail.find((d: { loc: unknown[] }) => JSON.stringify(d.loc) === JSON.stringify(['body', field]));
    assert.ok(entry, `a detail entry at body.${field}: ${JSON.stringify(envelope.detail)}`);
    assert.equal(entry.type, type);
    assert.equal(typeof entry.msg, 'string');
    return envelope;
  }

  test('an over-long prompt: 422001 naming prompt / promptText', async () => {
    await expect422(MODELS.dreamina, { prompt: 'p'.repeat(801) }, 'prompt', 'max_length');
    await expect422(MODELS.runway, { promptText: 'p'.repeat(513), promptImage: 'https://example.com/a.png' }, 'promptText', 'max_length');
    assert.equal((await submit(MODELS.dreamina, { prompt: 'p'.repeat(800) })).statusCode, 200);
  });

  test('an out-of-range integer: 422001 naming seed', async () => {
    await expect422(MODELS.reframe, { image: 'https://example.com/a.png', seed: 2147483648 }, 'seed', 'less_than_equal');
    await expect422(MODELS.runway, { promptText: 'x', promptImage: 'https://example.com/a.png', seed: -1 }, 'seed', 'greater_than_equal');
  });

  test('a bad enum value: 422001 naming the field, including width×height', async () => {
    await expect422(MODELS.reframe, { image: 'https://example.com/a.png', resolution: '1152:864(4:3)' }, 'resolution', 'enum');
    await expect422(MODELS.dreamina, { prompt: 'x', 'width\u00d7height': '2048x2048 (1:1)' }, 'width\u00d7height', 'enum');
    await expect422(MODELS.seedream, { prompt: 'x', max_images: 16 }, 'max_images', 'enum');
  });

  test('an unknown field: 422001 naming it', async () => {
    await expect422(MODELS.seedream, { prompt: 'x', negative_prompt: 'blur' }, 'negative_prompt', 'extra_forbidden');
  });

  test('a missing required field: 422001 naming it', async () => {
    await expect422(MODELS.runway, { promptText: 'x' }, 'promptImage', 'missing');
  });

  test('nothing is queued for a refused submit', async () => {
    const position = async (body: unknown) => {
      const res = await submit(MODELS.dreamina, body);
      assert.equal(res.statusCode, 200, res.body);
      return (await get(`/v1/requests/${res.json().request_id}/status`)).json().queue_position as number;
    };
    const first = await position({ prompt: 'before' });
    assert.equal((await submit(MODELS.dreamina, { prompt: 'x', scale: 2 })).statusCode, 422);
    assert.equal((await submit(MODELS.dreamina, { prompt: 'x', typo: 1 })).statusCode, 422);
    assert.equal(await position({ prompt: 'after' }), first + 1);
  });

  test('an unknown model: 400 with 400001, on submit and on GET', async () => {
    for (const res of [await submit('acme/no-such-model', { prompt: 'x' }), await get('/v1/models/acme/no-such-model')]) {
      assert.equal(res.statusCode, 400, res.body);
      const envelope = res.json();
      assert.equal(envelope.error_code, 400001);
      assert.ok(envelope.error_message.includes('acme/no-such-model'), envelope.error_message);
    }
    // A prefix or a suffix of a real id is not that model.
    assert.equal((await submit('ideogram/ideogram-v3', { image: 'x' })).statusCode, 400);
    assert.equal((await submit(`${MODELS.reframe}/extra`, { image: 'x' })).statusCode, 400);
  });

  test('the stored job input is fully defaulted (seedream {prompt: "x"})', async () => {
    const res = await submit(MODELS.seedream, { prompt: 'x' });
    assert.equal(res.statusCode, 200, res.body);
    const job = await h.ctx.store.getJob(res.json().request_id, h.keyId);
    assert.ok(job);
    assert.equal(job.modelId, MODELS.seedream);
    assert.deepEqual(job.input, {
      prompt: 'x',
      resolution: '2304x1728 (4:3)',
      sequential_image_generation: 'disabled',
      max_images: 15,
      output_format: 'png',
      optimize_prompt_options: 'standard',
    });
  });

  test('the stored input keeps what the caller sent and defaults the rest (runway, dreamina)', async () => {
    const runway = await submit(MODELS.runway, { promptText: 'pan left', promptImage: 'https://example.com/a.png', duration: 10 });
    assert.equal(runway.statusCode, 200, runway.body);
    const runwayJob = await h.ctx.store.getJob(runway.json().request_id, h.keyId);
    assert.deepEqual(runwayJob?.input, { promptText: 'pan left', promptImage: 'https://example.com/a.png', duration: 10, ratio: '1280:768' });
    const dreamina = await submit(MODELS.dreamina, { prompt: 'x', scale: 0 });
    const dreaminaJob = await h.ctx.store.getJob(dreamina.json().request_id, h.keyId);
    assert.deepEqual(dreaminaJob?.input, { prompt: 'x', scale: 0, 'width\u00d7height': '2048x2048(1:1)', force_single: false });
  });

  test('GET /v1/models lists the four models, total 4', async () => {
    const res = await get('/v1/models');
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.total, 4);
    assert.equal(body.models.length, 4);
    assert.deepEqual(body.models.map((m: { model_id: string }) => m.model_id).sort(), Object.values(MODELS).sort());
    for (const model of body.models) {
      assert.equal(typeof model.display_name, 'string');
      assert.ok(model.display_name.length > 0);
      assert.ok(Array.isArray(model.categories) && model.categories.length > 0);
    }
  });

  test('GET /v1/models needs a key', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/v1/models' });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().error_code, 401001);
  });

  test('GET /v1/models/<id> returns the normalised input schema: scale is "number", additionalProperties false', async () => {
    const res = await get(`/v1/models/${MODELS.dreamina}`);
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.model_id, MODELS.dreamina);
    assert.equal(body.input_schema.properties.scale.type, 'number');
    assert.equal(body.input_schema.properties.scale.minimum, 0);
    assert.equal(body.input_schema.properties.scale.maximum, 1);
    assert.equal(body.input_schema.properties.scale.default, 0.5);
    assert.equal(body.input_schema.additionalProperties, false);
    assert.deepEqual(body.input_schema.required, ['prompt']);
    assert.equal(body.input_schema.properties['width\u00d7height'].default, '2048x2048(1:1)');
    assert.equal(body.input_schema.properties.prompt.maxLength, 800);
    assert.deepEqual(Object.keys(body.output_schema), ['output']);
  });

  test('GET /v1/models/<id> for runway keeps the file rules and the seed bounds', async () => {
    const body = (await get(`/v1/models/${MODELS.runway}`)).json();
    assert.equal(body.input_schema.additionalProperties, false);
    assert.equal(body.input_schema.properties.seed.maximum, 4294967295);
    assert.equal(body.input_schema.properties.promptImage.validations.length, 5);
    assert.deepEqual(body.input_schema.properties.duration.enum, [5, 10]);
  });
});
