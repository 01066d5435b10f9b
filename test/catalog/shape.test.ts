/**
 * Required fields, unknown properties, booleans, free-form objects and the `width×height` key.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { accepts, catalog, MINIMAL, MODELS, rejects } from './fixtures.ts';

function detailOf(model: string, input: unknown) {
  const result = catalog().validate(model, input);
  assert.ok(!result.ok, `expected ${JSON.stringify(input)} to be refused`);
  return result.detail;
}

describe('required fields', () => {
  test('reframe without image: one "missing" entry naming image', () => {
    assert.deepEqual(detailOf(MODELS.reframe, { resolution: '1024:1024 (1:1)' }), [{ loc: ['body', 'image'], msg: 'field required', type: 'missing' }]);
  });

  test('runway with nothing: both promptText and promptImage reported', () => {
    const detail = detailOf(MODELS.runway, {});
    assert.deepEqual(detail.map((d) => [d.loc, d.type]), [
      [['body', 'promptText'], 'missing'],
      [['body', 'promptImage'], 'missing'],
    ]);
    assert.deepEqual(detailOf(MODELS.runway, { promptText: 'x' }).map((d) => d.loc), [['body', 'promptImage']]);
    assert.deepEqual(detailOf(MODELS.runway, { promptImage: 'x' }).map((d) => d.loc), [['body', 'promptText']]);
  });

  test('a required field is reported missing even when the seed gives it a default', () => {
    // reframe `resolution`, dreamina and seedream `prompt` are required and carry a default in the
    // seeds; `required` wins, so a forgotten prompt never runs as the seed's sample prompt.
    assert.deepEqual(detailOf(MODELS.reframe, { image: 'https://example.com/in.png' }), [{ loc: ['body', 'resolution'], msg: 'field required', type: 'missing' }]);
    assert.deepEqual(detailOf(MODELS.dreamina, {}), [{ loc: ['body', 'prompt'], msg: 'field required', type: 'missing' }]);
    assert.deepEqual(detailOf(MODELS.seedream, {}), [{ loc: ['body', 'prompt'], msg: 'field required', type: 'missing' }]);
  });

  test('several problems in one body are all reported, one entry per field', () => {
    const detail = detailOf(MODELS.runway, { promptText: 'x'.repeat(513), ratio: 'wide', seed: -1, extra: 1 });
    assert.deepEqual(detail.map((d) => `${d.loc.join('.')}:${d.type}`).sort(), [
      'body.extra:extra_forbidden',
      'body.promptImage:missing',
      'body.promptText:max_length',
      'body.ratio:enum',
      'body.seed:greater_than_equal',
    ]);
  });

  test('a body that is not an object is refused at loc ["body"]', () => {
    for (const body of [undefined, null, 'prompt', 42, [{ prompt: 'x' }]]) {
      const detail = detailOf(MODELS.dreamina, body);
      assert.deepEqual(detail.map((d) => d.loc), [['body']], JSON.stringify(body));
    }
  });
});

describe('unknown properties', () => {
  test('an unknown property is refused as extra_forbidden, naming it, on every model', () => {
    for (const model of Object.values(MODELS)) rejects(model, { nonsense: 1 }, 'nonsense', 'extra_forbidden');
  });

  test('typos of real fields are refused rather than silently defaulted', () => {
    rejects(MODELS.reframe, { Resolution: '1024:1024 (1:1)' }, 'Resolution', 'extra_forbidden');
    rejects(MODELS.runway, { prompt_text: 'x' }, 'prompt_text', 'extra_forbidden');
    rejects(MODELS.seedream, { max_image: 3 }, 'max_image', 'extra_forbidden');
    rejects(MODELS.dreamina, { widthxheight: '2048x2048(1:1)' }, 'widthxheight', 'extra_forbidden');
    // A field of another model is unknown here.
    rejects(MODELS.dreamina, { resolution: '2K' }, 'resolution', 'extra_forbidden');
  });

  test('each unknown property gets its own entry', () => {
    const detail = detailOf(MODELS.seedream, { ...MINIMAL[MODELS.seedream], a: 1, b: 2 });
    assert.deepEqual(detail.map((d) => [d.loc, d.type]), [
      [['body', 'a'], 'extra_forbidden'],
      [['body', 'b'], 'extra_forbidden'],
    ]);
  });
});

describe('booleans', () => {
  test('force_single accepts true and false only', () => {
    assert.equal(accepts(MODELS.dreamina, { force_single: true }).force_single, true);
    assert.equal(accepts(MODELS.dreamina, { force_single: false }).force_single, false);
    for (const bad of ['true', 'false', 1, 0, null, []]) rejects(MODELS.dreamina, { force_single: bad }, 'force_single', 'type');
  });
});

describe('free-form objects (ideogram color_palette and style)', () => {
  for (const field of ['color_palette', 'style']) {
    test(`${field}: any object is accepted as sent; strings, arrays, null and numbers are refused`, () => {
      assert.deepEqual(accepts(MODELS.reframe, { [field]: {} })[field], {});
      const nested = { name: 'EMBER', members: [{ color_hex: '#ff0000', color_weight: 0.5 }], deep: { a: { b: [1, 'two', null] } } };
      assert.deepEqual(accepts(MODELS.reframe, { [field]: nested })[field], nested);
      for (const bad of ['EMBER', ['#ff0000'], [], null, 3]) rejects(MODELS.reframe, { [field]: bad }, field, 'type');
    });
  }
});

describe('the property literally named width×height (U+00D7)', () => {
  test('is accepted under its exact name and defaulted under it', () => {
    const key = 'width\u00d7height';
    assert.equal(accepts(MODELS.dreamina, { [key]: '4096x4096(1:1)' })[key], '4096x4096(1:1)');
    assert.equal(accepts(MODELS.dreamina, {})[key], '2048x2048(1:1)');
    rejects(MODELS.dreamina, { [key]: 'big' }, key, 'enum');
  });

  test('look-alike spellings of the key are unknown fields', () => {
    for (const key of ['widthxheight', 'width*height', 'width_height', 'width\u2715height', 'width\u00d7height ', 'Width\u00d7Height']) {
      const result = catalog().validate(MODELS.dreamina, { prompt: 'x', [key]: '2048x2048(1:1)' });
      assert.ok(!result.ok, key);
      assert.deepEqual(result.detail.map((d) => [d.loc, d.type]), [[['body', key], 'extra_forbidden']], key);
    }
  });
});
