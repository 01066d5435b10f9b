/**
 * Everything a process needs, built once from the configuration and passed explicitly:
 * no module-level singletons. `close()` releases it all in reverse order of creation.
 */
import type { Logger } from 'pino';
import type { BlobStore } from './blobs/blob-store.ts';
import { createBlobStore } from './blobs/create-blob-store.ts';
import { type Catalog, loadCatalog } from './catalog/catalog.ts';
import { Pricing } from './catalog/pricing.ts';
import type { Config } from './config.ts';
import type { Engine } from './engines/engine.ts';
import { EngineRegistry } from './engines/registry.ts';
import { createLogger } from './logger.ts';
import { Metrics } from './metrics/metrics.ts';
import { createStore } from './store/create-store.ts';
import type { Store } from './store/store.ts';
import { Uploads } from './uploads/uploads.ts';
import { restrictSharpLoaders } from './inputs/probe-image.ts';
import type { Resolver } from './inputs/resolve-host.ts';

export interface Context {
  config: Config;
  log: Logger;
  store: Store;
  blobs: BlobStore;
  catalog: Catalog;
  /** The operator's price of each model, checked against the catalog at start. */
  pricing: Pricing;
  engines: EngineRegistry;
  uploads: Uploads;
  /** This process's Prometheus registry and metrics (GET /metrics). */
  metrics: Metrics;
  /** DNS for input fetches; undefined means the system resolver. Tests inject a stub. */
  resolver: Resolver | undefined;
  close(): Promise<void>;
}

export interface ContextOverrides {
  log?: Logger;
  store?: Store;
  catalog?: Catalog;
  /** Engines by name, replacing configured engines of the same name. */
  engines?: Record<string, Engine>;
  resolver?: Resolver;
}

export async function createContext(config: Config, overrides: ContextOverrides = {}): Promise<Context> {
  const log = overrides.log ?? createLogger(config.logLevel);
  // Process-wide: only the image decoders we accept (JPEG, PNG, WebP, GIF) stay enabled, for
  // input probing and engines alike, whichever runs first.
  restrictSharpLoaders();
  const catalog = overrides.catalog ?? loadCatalog();
  // Before anything is opened: a price whose unit does not fit its model stops the start.
  const pricing = Pricing.create(config, catalog);
  const store = overrides.store ?? (await createStore(config));
  const blobs = await createBlobStore(config);
  const engines = await EngineRegistry.create(config, catalog, log, overrides.engines);
  return {
    config,
    log,
    store,
    blobs,
    catalog,
    pricing,
    engines,
    uploads: new Uploads(store, blobs, config),
    metrics: new Metrics(store),
    resolver: overrides.resolver,
    async close() {
      await engines.close();
      await blobs.close();
      await store.close();
    },
  };
}
