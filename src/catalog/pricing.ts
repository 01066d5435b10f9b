/**
 * The operator's prices (MODELGATE_CONFIG `models.<id>.price`, else `default_price`, else 0 USD),
 * resolved once per model against the catalog. A model is priced per output when it makes
 * images and per second when it makes video; which one it makes is read from its categories
 * (the output schema is the same for every model, so it cannot say).
 */
import { ConfigError, type Config, type PriceSetting } from '../config.ts';
import type { Catalog } from './catalog.ts';
import type { CatalogModel } from './types.ts';

export type PriceUnit = 'output' | 'second';

export interface Price {
  usd: number;
  unit: PriceUnit;
  /** What the client sees as `pricing_note`. */
  note: string;
}

/**
 * `output` for image models, `second` for video models: a category's output part (`image-to-video`
 * → `video`, a bare `video-upscale` → itself) naming video makes the model a video model.
 */
export function priceUnitOf(model: Pick<CatalogModel, 'categories'>): PriceUnit {
  return model.categories.some((category) => /video/i.test(category.split('-to-').at(-1) ?? '')) ? 'second' : 'output';
}

const UNIT_WORDS: Record<PriceUnit, string> = { output: 'per output image', second: 'per second of video' };

function resolvePrice(model: CatalogModel, own: PriceSetting | undefined, fallback: PriceSetting | undefined): Price {
  const natural = priceUnitOf(model);
  const setting = own ?? fallback;
  const where = own ? `models.${model.id}.price` : 'default_price';
  if (setting?.unit !== undefined && setting.unit !== natural) {
    throw new ConfigError('MODELGATE_CONFIG', `${where}: model ${model.id} makes ${natural === 'second' ? 'video' : 'images'}, so it is priced per "${natural}", not per "${setting.unit}"${own ? '' : ` (give ${model.id} a price of its own, or leave default_price's unit out)`}`);
  }
  if (!setting) return { usd: 0, unit: natural, note: 'The operator of this server has set no price for this model; it costs 0 USD.' };
  return { usd: setting.usd, unit: natural, note: setting.note ?? `${setting.usd} USD ${UNIT_WORDS[natural]}, as set by the operator of this server.` };
}

export class Pricing {
  private constructor(private readonly prices: ReadonlyMap<string, Price>) {}

  /** Throws a ConfigError naming the model whose configured unit does not fit what it makes. */
  static create(config: Pick<Config, 'models' | 'defaultPrice'>, catalog: Catalog): Pricing {
    return new Pricing(new Map(catalog.models.map((model) => [model.id, resolvePrice(model, config.models[model.id]?.price, config.defaultPrice)])));
  }

  priceOf(modelId: string): Price {
    const price = this.prices.get(modelId);
    if (!price) throw new Error(`pricing: no model ${modelId}`);
    return price;
  }
}
