/**
 * Prices in MODELGATE_CONFIG: parsed and validated like every setting (an error names the bad
 * key), checked against what each model makes when the context is built (a unit that does not
 * fit names the model), and 0 USD with a note saying so when the operator set none.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadCatalog } from '../../src/catalog/catalog.ts';
import { Pricing, priceUnitOf } from '../../src/catalog/pricing.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { createContext } from '../../src/context.ts';
import { createHarness, MODELS, tempDir, testConfig } from '../support/harness.ts';

const dir = tempDir('modelgate-price-config-');
after(() => dir.remove());
let files = 0;

/** Writes `content` as a MODELGATE_CONFIG file and returns the env that names it. */
function configEnv(content: unknown): Record<string, string> {
  const path = join(dir.path, `config-${++files}.json`);
  writeFileSync(path, JSON.stringify(content));
  return { MODELGATE_CONFIG: path };
}

const catalog = loadCatalog();
const isConfigError = (...words: string[]) => (error: unknown) => error instanceof ConfigError && words.every((word) => error.message.includes(word));

describe('prices in MODELGATE_CONFIG', () => {
  test('a model’s own price, else default_price, else 0 USD; the unit follows what the model makes', () => {
    const config = loadConfig(configEnv({
      models: { [MODELS.dreamina]: { price: { usd: 0.03, unit: 'output', note: 'Three cents an image.' } }, [MODELS.runway]: { engine: 'builtin', price: { usd: 0.25, unit: 'second' } } },
      default_price: { usd: 0.02 },
    }));
    assert.deepEqual(config.models[MODELS.runway], { engine: 'builtin', price: { usd: 0.25, unit: 'second' } });
    const pricing = Pricing.create(config, catalog);
    assert.deepEqual(pricing.priceOf(MODELS.dreamina), { usd: 0.03, unit: 'output', note: 'Three cents an image.' });
    assert.deepEqual(pricing.priceOf(MODELS.runway), { usd: 0.25, unit: 'second', note: '0.25 USD per second of video, as set by the operator of this server.' });
    assert.deepEqual(pricing.priceOf(MODELS.seedream), { usd: 0.02, unit: 'output', note: '0.02 USD per output image, as set by the operator of this server.' });

    const unset = Pricing.create(loadConfig({}), catalog);
    for (const model of catalog.models) {
      const price = unset.priceOf(model.id);
      assert.equal(price.usd, 0, model.id);
      assert.equal(price.unit, model.id === MODELS.runway ? 'second' : 'output', model.id);
      assert.match(price.note, /has set no price/);
    }
  });

  test('what a model makes is read from its categories', () => {
    assert.equal(priceUnitOf({ categories: ['image-to-video'] }), 'second');
    assert.equal(priceUnitOf({ categories: ['text-to-video', 'motion'] }), 'second');
    assert.equal(priceUnitOf({ categories: ['video-upscale'] }), 'second');
    assert.equal(priceUnitOf({ categories: ['video-to-image'] }), 'output');
    assert.equal(priceUnitOf({ categories: ['image-to-image', 'outpainting'] }), 'output');
  });

  test('a negative or malformed price is an error naming the key', () => {
    const rejects = (content: unknown, ...words: string[]) => assert.throws(() => loadConfig(configEnv(content)), isConfigError('MODELGATE_CONFIG', ...words), JSON.stringify(content));
    rejects({ models: { [MODELS.dreamina]: { price: { usd: -0.01 } } } }, `models.${MODELS.dreamina}.price.usd`, '>= 0');
    rejects({ models: { [MODELS.dreamina]: { price: { usd: '0.03' } } } }, `models.${MODELS.dreamina}.price.usd`, 'number');
    rejects({ models: { [MODELS.dreamina]: { price: { usd: 1, unit: 'image' } } } }, `models.${MODELS.dreamina}.price.unit`);
    rejects({ models: { [MODELS.dreamina]: { price: { usd: 1, currency: 'EUR' } } } }, 'currency');
    rejects({ models: { [MODELS.dreamina]: { price: { unit: 'output' } } } }, 'usd');
    rejects({ models: { [MODELS.dreamina]: {} } }, `models.${MODELS.dreamina}`);
    rejects({ default_price: { usd: -1 } }, 'default_price.usd');
  });

  test('a unit that does not fit the model stops the start, naming the model', async () => {
    assert.throws(() => Pricing.create(loadConfig(configEnv({ models: { [MODELS.runway]: { price: { usd: 0.1, unit: 'output' } } } })), catalog), isConfigError(MODELS.runway, 'per "second"'));
    assert.throws(() => Pricing.create(loadConfig(configEnv({ models: { [MODELS.reframe]: { price: { usd: 0.1, unit: 'second' } } } })), catalog), isConfigError(MODELS.reframe, 'per "output"'));
    // A default with a unit cannot cover models of the other kind.
    assert.throws(() => Pricing.create(loadConfig(configEnv({ default_price: { usd: 0.1, unit: 'output' } })), catalog), isConfigError('default_price', MODELS.runway));
    // Through the composition root, before any store is opened.
    await assert.rejects(createContext(testConfig(dir.path, configEnv({ models: { [MODELS.runway]: { price: { usd: 0.1, unit: 'output' } } } }))), isConfigError(MODELS.runway));
  });

  test('with no prices set, every entry says 0 USD and why', async () => {
    const h = await createHarness();
    try {
      const { models } = (await h.app.inject({ method: 'GET', url: '/v1/models', headers: h.auth })).json() as { models: Array<Record<string, unknown>> };
      for (const model of models) {
        assert.equal(model.base_price_usd, 0);
        assert.equal(model.price_unit, model.model_id === MODELS.runway ? 'second' : 'output');
        assert.match(String(model.pricing_note), /has set no price/);
      }
    } finally {
      await h.close();
    }
  });
});
