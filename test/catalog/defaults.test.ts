/**
 * Defaults are applied exactly as the seeds give them, never over a value the caller sent, and
 * on a copy: the caller's object is left as it was.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { accepts, catalog, MINIMAL, MODELS, rawProperties } from './fixtures.ts';

const SEED_PROMPTS = {
  dreamina: 'A beautiful girl is walking on the street',
  seedream:
    'A vibrant close-up editorial portrait featuring a model with a sharp, piercing gaze, wearing a sculptural hat. Rich color blocking, crisp focus on the eyes, and a shallow depth of field create a striking visual impact. Styled with a Vogue cover aesthetic, captured in medium format, with bold and dramatic studio lighting.',
};

describe('defaults, exactly per seed', () => {
  test('reframe: resolution "1152:864 (4:3)", rendering_speed "BALANCED"; nothing else invented', () => {
    assert.deepEqual(accepts(MODELS.reframe, {}), { image: 'https://example.com/in.png', resolution: '1152:864 (4:3)', rendering_speed: 'BALANCED' });
  });

  test('dreamina: width×height "2048x2048(1:1)", scale 0.5, force_single false', () => {
    assert.deepEqual(accepts(MODELS.dreamina, {}), { prompt: 'a cat', 'width\u00d7height': '2048x2048(1:1)', scale: 0.5, force_single: false });
  });

  test('seedream: resolution, sequential_image_generation, max_images, output_format, optimize_prompt_options', () => {
    assert.deepEqual(accepts(MODELS.seedream, {}), {
      prompt: 'a cat',
      resolution: '2304x1728 (4:3)',
      sequential_image_generation: 'disabled',
      max_images: 15,
      output_format: 'png',
      optimize_prompt_options: 'standard',
    });
  });

  test('runway: ratio "1280:768", duration 5', () => {
    assert.deepEqual(accepts(MODELS.runway, {}), { promptText: 'a cat walks', promptImage: 'https://example.com/in.png', ratio: '1280:768', duration: 5 });
  });

  test('prompt defaults come from the seed pages word for word', () => {
    assert.equal(rawProperties(MODELS.dreamina).prompt!.default, SEED_PROMPTS.dreamina);
    assert.equal(rawProperties(MODELS.seedream).prompt!.default, SEED_PROMPTS.seedream);
  });

  test('every default in every schema is applied, and each default is itself a valid value', () => {
    for (const model of Object.values(MODELS)) {
      const value = accepts(model, {});
      for (const [field, property] of Object.entries(rawProperties(model))) {
        if (!Object.hasOwn(property, 'default')) continue;
        const expected = Object.hasOwn(MINIMAL[model]!, field) ? MINIMAL[model]![field] : property.default;
        assert.deepEqual(value[field], expected, `${model} ${field}`);
        if (Array.isArray(property.enum)) assert.ok(property.enum.includes(property.default), `${model} ${field} default is in its enum`);
      }
    }
  });
});

describe('defaults never override the caller', () => {
  test('sent values are kept, including falsy ones', () => {
    const dreamina = accepts(MODELS.dreamina, { scale: 0, force_single: true, 'width\u00d7height': '1024x1024(1:1)' });
    assert.equal(dreamina.scale, 0);
    assert.equal(dreamina.force_single, true);
    assert.equal(dreamina['width\u00d7height'], '1024x1024(1:1)');
    const seedream = accepts(MODELS.seedream, { max_images: 1, sequential_image_generation: 'auto', output_format: 'jpeg', resolution: '3K' });
    assert.deepEqual([seedream.max_images, seedream.sequential_image_generation, seedream.output_format, seedream.resolution], [1, 'auto', 'jpeg', '3K']);
    const runway = accepts(MODELS.runway, { ratio: '768:1280', duration: 10 });
    assert.deepEqual([runway.ratio, runway.duration], ['768:1280', 10]);
    const reframe = accepts(MODELS.reframe, { resolution: '512:1536 (1:3)', rendering_speed: 'TURBO' });
    assert.deepEqual([reframe.resolution, reframe.rendering_speed], ['512:1536 (1:3)', 'TURBO']);
  });

  test('the empty string is a value, not a missing field (the seed curl examples send "")', () => {
    const reframe = catalog().validate(MODELS.reframe, { image: '', resolution: '1152:864 (4:3)' });
    assert.ok(reframe.ok);
    assert.equal(reframe.value.image, '');
    const dreamina = catalog().validate(MODELS.dreamina, { prompt: '' });
    assert.ok(dreamina.ok);
    assert.equal(dreamina.value.prompt, '');
  });
});

describe("the caller's object is not mutated", () => {
  test('accepted input: defaults go on a copy', () => {
    for (const model of Object.values(MODELS)) {
      const input = structuredClone(MINIMAL[model]!);
      const before = structuredClone(input);
      const result = catalog().validate(model, input);
      assert.ok(result.ok);
      assert.deepEqual(input, before, model);
      assert.notEqual(result.value, input);
      assert.ok(Object.keys(result.value).length > Object.keys(input).length, `${model} gained defaults on the copy`);
    }
  });

  test('nested objects are copied too', () => {
    const palette = { members: [{ color_hex: '#00ff00' }] };
    const result = catalog().validate(MODELS.reframe, { image: 'x', resolution: '1152:864 (4:3)', color_palette: palette });
    assert.ok(result.ok);
    (result.value.color_palette as { members: unknown[] }).members.push('changed');
    assert.deepEqual(palette, { members: [{ color_hex: '#00ff00' }] });
  });

  test('refused input is left alone as well', () => {
    const input = { prompt: 'x'.repeat(801) };
    const result = catalog().validate(MODELS.dreamina, input);
    assert.ok(!result.ok);
    assert.deepEqual(input, { prompt: 'x'.repeat(801) });
  });

  test('one validation does not leak into the next', () => {
    const first = catalog().validate(MODELS.seedream, { prompt: 'a' });
    assert.ok(first.ok);
    first.value.max_images = 3;
    const second = catalog().validate(MODELS.seedream, { prompt: 'b' });
    assert.ok(second.ok);
    assert.equal(second.value.max_images, 15);
  });
});
