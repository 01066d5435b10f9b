/**
 * Every minimum, maximum and maxLength of the four schemas, on both sides of each bound.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { accepts, MODELS, rawProperties, rejects } from './fixtures.ts';

describe('integer bounds', () => {
  test('ideogram seed: 0 and 2147483647 accepted; -1 and 2147483648 refused', () => {
    assert.equal(accepts(MODELS.reframe, { seed: 0 }).seed, 0);
    assert.equal(accepts(MODELS.reframe, { seed: 2147483647 }).seed, 2147483647);
    accepts(MODELS.reframe, { seed: 12345 });
    const low = rejects(MODELS.reframe, { seed: -1 }, 'seed', 'greater_than_equal');
    assert.match(low.msg, /\b0\b/);
    const high = rejects(MODELS.reframe, { seed: 2147483648 }, 'seed', 'less_than_equal');
    assert.match(high.msg, /2147483647/);
  });

  test('runway seed: 0 and 4294967295 accepted; -1 and 4294967296 refused', () => {
    assert.equal(accepts(MODELS.runway, { seed: 0 }).seed, 0);
    assert.equal(accepts(MODELS.runway, { seed: 4294967295 }).seed, 4294967295);
    // Above ideogram's maximum, still inside runway's: the two seeds are not confused.
    accepts(MODELS.runway, { seed: 2147483648 });
    rejects(MODELS.runway, { seed: -1 }, 'seed', 'greater_than_equal');
    const high = rejects(MODELS.runway, { seed: 4294967296 }, 'seed', 'less_than_equal');
    assert.match(high.msg, /4294967295/);
  });

  test('integer seeds refuse fractions, numeric strings, null and booleans with type errors', () => {
    for (const model of [MODELS.reframe, MODELS.runway]) {
      rejects(model, { seed: 1.5 }, 'seed', 'type');
      rejects(model, { seed: 0.000001 }, 'seed', 'type');
      rejects(model, { seed: '7' }, 'seed', 'type');
      rejects(model, { seed: null }, 'seed', 'type');
      rejects(model, { seed: true }, 'seed', 'type');
      // 7.0 arrives from JSON as the integer 7.
      assert.equal(accepts(model, JSON.parse('{"seed": 7.0}')).seed, 7);
    }
  });

  test('a seed is optional and gets no invented default', () => {
    assert.equal(Object.hasOwn(accepts(MODELS.reframe, {}), 'seed'), false);
    assert.equal(Object.hasOwn(accepts(MODELS.runway, {}), 'seed'), false);
  });
});

describe('dreamina scale, declared "type": "float" in the seed', () => {
  test('the catalog keeps the seed word; validation treats it as a number', () => {
    assert.equal(rawProperties(MODELS.dreamina).scale!.type, 'float');
    for (const value of [0, 0.5, 1, 0.001, 0.999]) assert.equal(accepts(MODELS.dreamina, { scale: value }).scale, value);
  });

  test('-0.01 and 1.01 are refused as out of range', () => {
    rejects(MODELS.dreamina, { scale: -0.01 }, 'scale', 'greater_than_equal');
    rejects(MODELS.dreamina, { scale: 1.01 }, 'scale', 'less_than_equal');
    rejects(MODELS.dreamina, { scale: 1.0000001 }, 'scale', 'less_than_equal');
    rejects(MODELS.dreamina, { scale: 2 }, 'scale', 'less_than_equal');
  });

  test('strings, null and booleans are refused as type errors, not coerced', () => {
    rejects(MODELS.dreamina, { scale: '0.5' }, 'scale', 'type');
    rejects(MODELS.dreamina, { scale: null }, 'scale', 'type');
    rejects(MODELS.dreamina, { scale: true }, 'scale', 'type');
  });
});

describe('maxLength, counted in Unicode code points', () => {
  test('dreamina prompt: 800 characters accepted, 801 refused', () => {
    assert.equal((accepts(MODELS.dreamina, { prompt: 'a'.repeat(800) }).prompt as string).length, 800);
    const entry = rejects(MODELS.dreamina, { prompt: 'a'.repeat(801) }, 'prompt', 'max_length');
    assert.match(entry.msg, /800/);
  });

  test('runway promptText: 512 characters accepted, 513 refused', () => {
    accepts(MODELS.runway, { promptText: 'b'.repeat(512) });
    const entry = rejects(MODELS.runway, { promptText: 'b'.repeat(513) }, 'promptText', 'max_length');
    assert.match(entry.msg, /512/);
  });

  test('astral characters count once: 800 emoji (1600 UTF-16 units) accepted, 801 refused', () => {
    const emoji = '\u{1F600}';
    assert.equal(emoji.length, 2);
    accepts(MODELS.dreamina, { prompt: emoji.repeat(800) });
    rejects(MODELS.dreamina, { prompt: emoji.repeat(801) }, 'prompt', 'max_length');
    accepts(MODELS.runway, { promptText: '\u{1D11E}'.repeat(512) });
    rejects(MODELS.runway, { promptText: '\u{1D11E}'.repeat(513) }, 'promptText', 'max_length');
  });

  test('CJK prompts count characters, not bytes', () => {
    accepts(MODELS.dreamina, { prompt: '猫'.repeat(800) });
    rejects(MODELS.dreamina, { prompt: '猫'.repeat(801) }, 'prompt', 'max_length');
  });

  test('seedream prompt has no maxLength: a long prompt is accepted', () => {
    assert.equal(rawProperties(MODELS.seedream).prompt!.maxLength, undefined);
    accepts(MODELS.seedream, { prompt: 'word '.repeat(2000) });
  });

  test('prompts must be strings', () => {
    rejects(MODELS.dreamina, { prompt: 42 }, 'prompt', 'type');
    rejects(MODELS.runway, { promptText: ['a'] }, 'promptText', 'type');
    rejects(MODELS.runway, { promptImage: { url: 'https://example.com/a.png' } }, 'promptImage', 'type');
    rejects(MODELS.reframe, { image: null }, 'image', 'type');
  });
});
