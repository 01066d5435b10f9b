/**
 * Every enum of the four schemas: each listed value is accepted (and kept as sent), and near
 * misses of each value are refused with `loc: ['body', field]` and type `enum`.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { accepts, MODELS, rawProperties, rejects } from './fixtures.ts';

/** Every enum property of every model, read from the catalog files (which verbatim.test ties to the seeds). */
function enumProperties(): Array<{ model: string; field: string; values: unknown[] }> {
  return Object.values(MODELS).flatMap((model) =>
    Object.entries(rawProperties(model))
      .filter(([, property]) => Array.isArray(property.enum))
      .map(([field, property]) => ({ model, field, values: property.enum as unknown[] })),
  );
}

/** Plausible typos of a string value: case, spacing, surrounding whitespace. */
function nearMissesOf(value: string): string[] {
  return [
    value.toLowerCase(),
    value.toUpperCase(),
    value.replaceAll(' ', ''),
    value.replace('(', ' ('),
    value.replace(':', ' : '),
    ` ${value}`,
    `${value} `,
    value.slice(0, -1),
    `${value}x`,
  ];
}

describe('every enum value is accepted', () => {
  const all = enumProperties();

  test('the four schemas have the enum properties the seeds define', () => {
    assert.deepEqual(
      all.map(({ model, field, values }) => `${model} ${field} ${values.length}`).sort(),
      [
        `${MODELS.dreamina} width\u00d7height 11`,
        `${MODELS.reframe} rendering_speed 3`,
        `${MODELS.reframe} resolution 69`,
        `${MODELS.runway} duration 2`,
        `${MODELS.runway} ratio 2`,
        `${MODELS.seedream} max_images 15`,
        `${MODELS.seedream} optimize_prompt_options 1`,
        `${MODELS.seedream} output_format 2`,
        `${MODELS.seedream} resolution 18`,
        `${MODELS.seedream} sequential_image_generation 2`,
      ].sort(),
    );
  });

  for (const { model, field, values } of all) {
    test(`${model} ${field}: all ${values.length} values accepted as sent`, () => {
      for (const value of values) assert.equal(accepts(model, { [field]: value })[field], value);
    });
  }
});

describe('near misses are refused as enum errors naming the field', () => {
  for (const { model, field, values } of enumProperties()) {
    test(`${model} ${field}: case, spacing and truncation variants of every value are refused`, () => {
      let checked = 0;
      for (const value of values) {
        const misses = typeof value === 'string' ? nearMissesOf(value) : [String(value), value === 0 ? -1 : -Number(value)];
        for (const miss of new Set(misses)) {
          if (values.includes(miss)) continue;
          const entry = rejects(model, { [field]: miss }, field, 'enum');
          assert.match(entry.msg, /must be one of/);
          checked++;
        }
      }
      assert.ok(checked >= values.length, `${checked} near misses checked`);
    });
  }

  test('the near misses the spec calls out', () => {
    rejects(MODELS.reframe, { resolution: '1152:864(4:3)' }, 'resolution', 'enum');
    rejects(MODELS.reframe, { resolution: '1152x864 (4:3)' }, 'resolution', 'enum');
    rejects(MODELS.reframe, { resolution: '1152:864' }, 'resolution', 'enum');
    rejects(MODELS.reframe, { rendering_speed: 'balanced' }, 'rendering_speed', 'enum');
    rejects(MODELS.reframe, { rendering_speed: 'Balanced' }, 'rendering_speed', 'enum');
    rejects(MODELS.dreamina, { 'width\u00d7height': '2048x2048 (1:1)' }, 'width\u00d7height', 'enum');
    rejects(MODELS.dreamina, { 'width\u00d7height': '2048\u00d72048(1:1)' }, 'width\u00d7height', 'enum');
    rejects(MODELS.seedream, { resolution: '2048x2048(1:1)' }, 'resolution', 'enum');
    rejects(MODELS.seedream, { resolution: '2k' }, 'resolution', 'enum');
    rejects(MODELS.seedream, { resolution: '4K' }, 'resolution', 'enum');
    rejects(MODELS.seedream, { output_format: 'jpg' }, 'output_format', 'enum');
    rejects(MODELS.seedream, { output_format: 'PNG' }, 'output_format', 'enum');
    rejects(MODELS.seedream, { optimize_prompt_options: 'fast' }, 'optimize_prompt_options', 'enum');
    rejects(MODELS.seedream, { sequential_image_generation: 'enabled' }, 'sequential_image_generation', 'enum');
    rejects(MODELS.runway, { ratio: '1280:720' }, 'ratio', 'enum');
    rejects(MODELS.runway, { ratio: '768:1280 ' }, 'ratio', 'enum');
  });

  test('integer enums: just outside the list, between values, and the right number as a string', () => {
    rejects(MODELS.seedream, { max_images: 0 }, 'max_images', 'enum');
    rejects(MODELS.seedream, { max_images: 16 }, 'max_images', 'enum');
    rejects(MODELS.seedream, { max_images: '5' }, 'max_images', 'enum');
    rejects(MODELS.seedream, { max_images: 2.5 }, 'max_images', 'enum');
    accepts(MODELS.seedream, { max_images: 1 });
    accepts(MODELS.seedream, { max_images: 15 });
    rejects(MODELS.runway, { duration: '5' }, 'duration', 'enum');
    rejects(MODELS.runway, { duration: '10' }, 'duration', 'enum');
    rejects(MODELS.runway, { duration: 6 }, 'duration', 'enum');
    rejects(MODELS.runway, { duration: 7.5 }, 'duration', 'enum');
    rejects(MODELS.runway, { duration: 0 }, 'duration', 'enum');
  });

  test('enum fields refuse other JSON types: null, booleans, arrays, objects', () => {
    for (const bad of [null, true, ['TURBO'], { value: 'TURBO' }]) rejects(MODELS.reframe, { rendering_speed: bad }, 'rendering_speed', 'enum');
    for (const bad of [null, false, [5], {}]) rejects(MODELS.runway, { duration: bad }, 'duration', 'enum');
  });

  test('the enum message lists the allowed values', () => {
    const entry = rejects(MODELS.runway, { ratio: 'square' }, 'ratio', 'enum');
    assert.ok(entry.msg.includes('"1280:768"') && entry.msg.includes('"768:1280"'), entry.msg);
  });
});
