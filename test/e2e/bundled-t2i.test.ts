/**
 * Issue 5's "Done when" on the bundled model: with no configuration (what `npm start` serves),
 * both text-to-image seed requests complete through the API with images of exactly the requested
 * size from models/tiny-shapes/, through the real onnx engine; a prompt of the model's domain comes
 * back showing what it asked for (the "a red circle above a blue square on a yellow background"
 * among them), judged by the benchmark's pixel analyser; the same request
 * (whose seed is derived from it: these models take no seed) gives the same bytes. A prompt outside
 * the model's domain (the seed pages' own) still runs, and its result says what the model draws and
 * how to configure a real one (issue 16), through the job row to the result route and /openapi.json.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { analyse, score } from '../../bench/lib/shape-analyser.ts';
import { readManifest, type Scene } from '../../bench/lib/shapes-domain.ts';
import { createHarness, MODELS, submitAndWait, type Harness } from '../support/harness.ts';
import { createTestEngine } from '../support/test-engine.ts';

const SEEDREAM_PROMPT =
  'A vibrant close-up editorial portrait featuring a model with a sharp, piercing gaze, wearing a sculptural hat. Rich color blocking, crisp focus on the eyes, and a shallow depth of field create a striking visual impact. Styled with a Vogue cover aesthetic, captured in medium format, with bold and dramatic studio lighting.';

const NOTICE = /^The bundled text-to-image model \(models\/tiny-shapes\) draws only circles, squares and triangles in red, green, blue, yellow, orange, purple, white and black; this prompt names none of those shapes, so the image does not show what it describes \(words it does not know: (.*)\)\. For real pictures, point the onnx engine at an exported SD-Turbo or SD 1\.5 \(docs\/engines\.md, "onnx"\)\.$/;

async function run(h: Harness, model: string, body: unknown): Promise<Buffer[]> {
  const result = await submitAndWait(h, model, body, { timeoutMs: 60_000 });
  assert.equal(result.status, 'succeeded', JSON.stringify(result));
  const urls: string[] = result.output.images ?? [result.output.image];
  return Promise.all(urls.map(async (url) => (await h.app.inject({ method: 'GET', url: new URL(url).pathname })).rawPayload));
}

describe('the bundled text-to-image model, with no configuration', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness({ engines: { builtin: createTestEngine('builtin') } });
    h.startWorkers(1);
  });
  after(() => h.close());

  test('both seed requests complete with images of exactly the requested size', async () => {
    const [dreamina] = await run(h, MODELS.dreamina, { prompt: 'A beautiful girl is walking on the street' });
    assert.deepEqual(await sharp(dreamina!).metadata().then((m) => [m.format, m.width, m.height]), ['png', 2048, 2048]);
    const [seedream] = await run(h, MODELS.seedream, { prompt: SEEDREAM_PROMPT });
    assert.deepEqual(await sharp(seedream!).metadata().then((m) => [m.format, m.width, m.height]), ['png', 2304, 1728]);
  });

  // The issue's own example and a one-object prompt, each judged at a square and a wide request.
  // (How often the model is right over 160 unseen prompts is bench/t2i-adherence.ts's job.)
  const PROMPTS: Array<[string, Scene]> = [
    ['a red circle above a blue square on a yellow background', { background: 'yellow', striped: false, relation: 'above', objects: [{ colour: 'red', shape: 'circle' }, { colour: 'blue', shape: 'square' }] }],
    ['a large red circle in the middle on a yellow background', { background: 'yellow', striped: false, objects: [{ colour: 'red', shape: 'circle', size: 'large', place: 'middle' }] }],
  ];
  for (const [prompt, scene] of PROMPTS) {
    test(`"${prompt}" shows that, at 2048×2048 and at 16:9`, async () => {
      const { domain } = readManifest();
      const checks: Array<[string, number, number]> = [['2048x2048(1:1)', 64, 64], ['2560x1440(16:9)', 96, 54]];
      const want = { background: true, colour: scene.objects.map(() => true), shape: scene.objects.map(() => true), position: true };
      for (const [size, w, hgt] of checks) {
        const [png] = await run(h, MODELS.dreamina, { prompt, 'width×height': size });
        // Judged as the benchmark judges: at about the model's own resolution.
        const small = await sharp(png!).resize(w, hgt, { kernel: 'cubic' }).removeAlpha().raw().toBuffer();
        const found = analyse(domain, small, w, hgt);
        assert.deepEqual(score(domain, scene, found, w, hgt), want, `${size}: ${JSON.stringify(found)}`);
      }
    });
  }

  test('a prompt outside the domain still runs, and its result (and only such a result) carries the notice', async () => {
    const girl = await submitAndWait(h, MODELS.dreamina, { prompt: 'A beautiful girl is walking on the street', 'width×height': '1024x1024(1:1)' }, { timeoutMs: 60_000 });
    assert.equal(girl.status, 'succeeded', JSON.stringify(girl));
    assert.ok(girl.output.image);
    assert.equal(girl.notices.length, 1, JSON.stringify(girl));
    assert.equal(NOTICE.exec(girl.notices[0])?.[1], 'beautiful, girl, is, walking, street');
    // A long prompt names its first unknown words, then stops listing.
    const portrait = await submitAndWait(h, MODELS.seedream, { prompt: SEEDREAM_PROMPT, resolution: '2K' }, { timeoutMs: 60_000 });
    assert.equal(NOTICE.exec(portrait.notices?.[0])?.[1], 'vibrant, close, up, editorial, portrait, featuring, model, with, …');
    // Inside the domain, or with a shape but an unknown colour: no notice, and the answer is RunComfy's shape.
    for (const prompt of ['a red circle above a blue square on a yellow background', 'a pink triangle']) {
      const result = await submitAndWait(h, MODELS.dreamina, { prompt, 'width×height': '1024x1024(1:1)' }, { timeoutMs: 60_000 });
      assert.equal(result.status, 'succeeded');
      assert.equal('notices' in result, false, JSON.stringify(result));
    }
    const openapi = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    assert.match(JSON.stringify(openapi), /"notices":\{"type":"array","items":\{"type":"string"\}/);
  });

  test('the same request gives the same bytes (its seed comes from the input); another prompt does not', async () => {
    const body = { prompt: 'a small green triangle at the left on a striped purple background', 'width×height': '1024x1024(1:1)' };
    const [a] = await run(h, MODELS.dreamina, body);
    const [b] = await run(h, MODELS.dreamina, body);
    const [c] = await run(h, MODELS.dreamina, { ...body, prompt: 'a small green triangle at the right on a striped purple background' });
    assert.ok(a!.equals(b!), 'same request, same bytes');
    assert.ok(!a!.equals(c!), 'another prompt, other bytes');
  });
});
