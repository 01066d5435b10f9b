/**
 * The catalog files hold the seeds' schemas verbatim: each file's input_schema and output_schema
 * deep-equal the JSON blocks of the seed page its `source` names, and every seed page is covered.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { catalog, jsonBlocks, MODELS, rawProperties, readCatalogFiles, readSeed, REPO_ROOT, SEEDS_ABSENT, SEEDS_DIR } from './fixtures.ts';

describe('JSON block extraction from seed text', () => {
  test('finds balanced blocks, skips non-JSON braces, and ignores braces inside strings', () => {
    const text = 'curl /v1/requests/{request_id}/status 说明 {"a": "}{", "b": {"c": [1, {"d": 2}]}}尾{"x":1} {broken';
    assert.deepEqual(jsonBlocks(text), [{ a: '}{', b: { c: [1, { d: 2 }] } }, { x: 1 }]);
  });
});

describe('catalog files copy the seed schemas verbatim', { skip: SEEDS_ABSENT }, () => {
  const files = readCatalogFiles();

  test('there is one catalog file per model of the spec', () => {
    assert.deepEqual(files.map(({ file }) => file.model_id).sort(), Object.values(MODELS).sort());
  });

  for (const { name, file } of files) {
    test(`${name}: input_schema and output_schema equal the blocks in ${file.source}`, () => {
      assert.match(file.source, /^shared\/seeds\/\d{3}_[0-9a-f]+\.txt$/);
      const seed = readSeed(join(REPO_ROOT, '..', file.source));
      assert.equal(seed.modelId, file.model_id, 'the seed page is about this model');
      assert.deepEqual(file.input_schema, seed.input);
      assert.deepEqual(file.output_schema, seed.output);
    });

    test(`${name}: the seed page's own curl example bodies are accepted`, () => {
      const seed = readSeed(join(REPO_ROOT, '..', file.source));
      assert.ok(seed.examples.length > 0, 'the page has curl examples');
      for (const example of seed.examples) {
        const result = catalog().validate(file.model_id, example);
        assert.ok(result.ok, `${JSON.stringify(example)}: ${JSON.stringify(result.ok ? null : result.detail)}`);
      }
    });
  }

  test('every seed page belongs to a catalog model and agrees with it on everything but the localised titles and descriptions', () => {
    const seeds = readdirSync(SEEDS_DIR).filter((name) => name.endsWith('.txt'));
    assert.ok(seeds.length >= 4);
    const strip = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(strip);
      if (typeof value !== 'object' || value === null) return value;
      return Object.fromEntries(Object.entries(value).filter(([key]) => key !== 'title' && key !== 'description').map(([key, v]) => [key, strip(v)]));
    };
    for (const name of seeds) {
      const seed = readSeed(join(SEEDS_DIR, name));
      const file = files.find((f) => f.file.model_id === seed.modelId);
      assert.ok(file, `${name} is about ${seed.modelId}, which has no catalog file`);
      assert.deepEqual(strip(file.file.input_schema), strip(seed.input), name);
      assert.deepEqual(strip(file.file.output_schema), strip(seed.output), name);
    }
  });
});

describe('schema facts the spec states', () => {
  const enumOf = (model: string, field: string) => rawProperties(model)[field]!.enum as unknown[];

  test('reframe resolution: 69 distinct "W:H (a:b)" values whose ratio reduces to a:b', () => {
    const values = enumOf(MODELS.reframe, 'resolution') as string[];
    assert.equal(values.length, 69);
    assert.equal(new Set(values).size, 69);
    const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
    for (const value of values) {
      const m = /^(\d+):(\d+) \((\d+):(\d+)\)$/.exec(value);
      assert.ok(m, value);
      const [w, h, a, b] = m.slice(1).map(Number) as [number, number, number, number];
      const g = gcd(w, h);
      assert.deepEqual([w / g, h / g], [a, b], value);
    }
    assert.ok(values.includes(rawProperties(MODELS.reframe).resolution!.default as string));
  });

  test('dreamina width×height: 11 "WxH(a:b)" values with no space, under a key spelled with U+00D7', () => {
    const props = rawProperties(MODELS.dreamina);
    assert.ok(Object.hasOwn(props, 'width\u00d7height'));
    assert.ok(!Object.hasOwn(props, 'widthxheight'));
    const values = enumOf(MODELS.dreamina, 'width\u00d7height') as string[];
    assert.equal(values.length, 11);
    for (const value of values) assert.match(value, /^\d+x\d+\(\d+:\d+\)$/);
    assert.equal(props.scale!.type, 'float', 'the seed says float; only the loader normalises it');
    assert.equal(props.prompt!.maxLength, 800);
  });

  test('seedream: 18 resolutions including 2K and 3K, max_images is the integers 1..15', () => {
    const resolutions = enumOf(MODELS.seedream, 'resolution') as string[];
    assert.equal(resolutions.length, 18);
    assert.deepEqual(resolutions.slice(0, 2), ['2K', '3K']);
    for (const value of resolutions.slice(2)) assert.match(value, /^\d+x\d+ \(\d+:\d+\)$/);
    assert.deepEqual(enumOf(MODELS.seedream, 'max_images'), Array.from({ length: 15 }, (_, i) => i + 1));
    assert.deepEqual(enumOf(MODELS.seedream, 'sequential_image_generation'), ['auto', 'disabled']);
  });

  test('runway: ratio and duration enums, seed 0..4294967295, five promptImage rules, promptText ≤ 512', () => {
    const props = rawProperties(MODELS.runway);
    assert.deepEqual(enumOf(MODELS.runway, 'ratio'), ['1280:768', '768:1280']);
    assert.deepEqual(enumOf(MODELS.runway, 'duration'), [5, 10]);
    assert.deepEqual([props.seed!.minimum, props.seed!.maximum], [0, 4294967295]);
    assert.equal(props.promptText!.maxLength, 512);
    assert.deepEqual(
      (props.promptImage!.validations as Array<{ validation_rule: string; validation_value: number }>).map((r) => `${r.validation_rule}${r.validation_value}`),
      ['width_pixels<8000', 'height_pixels<8000', 'width/height>0.5', 'width/height<2', 'file_size_mb<16'],
    );
  });

  test('ideogram: seed 0..2147483647, rendering_speed enum, free-form color_palette and style', () => {
    const props = rawProperties(MODELS.reframe);
    assert.deepEqual([props.seed!.minimum, props.seed!.maximum], [0, 2147483647]);
    assert.deepEqual(enumOf(MODELS.reframe, 'rendering_speed'), ['TURBO', 'BALANCED', 'QUALITY']);
    assert.deepEqual(props.color_palette!.type, 'object');
    assert.deepEqual(props.style!.type, 'object');
  });

  test('the output schema has the same shape for every model (only descriptions are localised)', () => {
    const shapes = readCatalogFiles().map(({ file }) => JSON.stringify(file.output_schema, (key, value) => (key === 'description' ? undefined : value)));
    assert.equal(new Set(shapes).size, 1);
    const output = readCatalogFiles()[0]!.file.output_schema.output as { properties: Record<string, { type: string }> };
    assert.deepEqual(Object.fromEntries(Object.entries(output.properties).map(([k, v]) => [k, v.type])), { image: 'string', video: 'string', images: 'array', videos: 'array' });
  });
});
