/**
 * Builds the configured engines once per process and answers "which engine runs this model?".
 * An engine that cannot start (unknown type, not in this build, bad options) is recorded with
 * the reason, so jobs routed to it fail with `engine_unavailable` and a message saying how to
 * fix the configuration, instead of the whole server refusing to start.
 */
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { Catalog } from '../catalog/catalog.ts';
import { ConfigError, type Config, type EngineConfig } from '../config.ts';
import type { Engine } from './engine.ts';
import { createBuiltinEngine } from './builtin/builtin-engine.ts';
import { BUILTIN_TASKS } from './builtin/tasks.ts';
import { createModuleEngine } from './module/module-engine.ts';
import { createOnnxEngine, onnxEngineOptions } from './onnx/onnx-engine.ts';

type EngineFactory = (name: string, options: EngineConfig, context: { baseDir: string; log: Logger }) => Promise<Engine>;

/**
 * Engine types this build can construct. The remote ones (comfyui, upstream) are imported only
 * when configured: with their HTTP client they would add several MB to every process's idle RSS.
 */
const FACTORIES: Record<string, EngineFactory> = {
  builtin: async (name, options, { log }) => createBuiltinEngine(name, options, log, BUILTIN_TASKS),
  comfyui: async (name, options, { baseDir, log }) => {
    const [{ createComfyuiEngine }, { comfyuiOptions }] = await Promise.all([import('./comfyui/comfyui-engine.ts'), import('./comfyui/options.ts')]);
    return createComfyuiEngine(name, comfyuiOptions(options, baseDir), log);
  },
  module: (name, options, { baseDir, log }) => createModuleEngine(name, options, baseDir, log),
  onnx: async (name, options, { baseDir, log }) => createOnnxEngine(name, onnxEngineOptions(options, baseDir), log),
  upstream: async (name, options, { log }) => {
    const [{ createUpstreamEngine }, { upstreamOptions }] = await Promise.all([import('./upstream/upstream-engine.ts'), import('./upstream/options.ts')]);
    return createUpstreamEngine(name, upstreamOptions(options), log);
  },
};

/** Engine types that are part of the design but not yet in this build; named so the error can say so. */
const PLANNED_TYPES = new Set<string>([]);

export type Route = { engineName: string; engine: Engine } | { engineName: string; engine?: undefined; reason: string };

export class EngineRegistry {
  private constructor(
    private readonly engines: Map<string, Engine>,
    private readonly unavailable: Map<string, string>,
    private readonly routes: Map<string, string>,
    private readonly configured: Record<string, EngineConfig>,
  ) {}

  /** `provided` engines (by name) replace configured ones: used by tests and embedders. */
  static async create(config: Config, catalog: Catalog, log: Logger, provided: Record<string, Engine> = {}): Promise<EngineRegistry> {
    // A route for a model the catalog does not have is a typo that would silently leave the real
    // model on its default engine: refuse to start instead.
    const unknown = Object.keys(config.models).filter((id) => !catalog.get(id));
    if (unknown.length > 0) {
      throw new ConfigError('MODELGATE_CONFIG', `routes models that are not in the catalog: ${unknown.join(', ')} (catalog: ${catalog.models.map((m) => m.id).join(', ')})`);
    }
    const engines = new Map<string, Engine>(Object.entries(provided));
    const unavailable = new Map<string, string>();
    const baseDir = config.configFile ? dirname(config.configFile) : process.cwd();
    for (const [name, options] of Object.entries(config.engines)) {
      if (engines.has(name)) continue;
      const factory = FACTORIES[options.type];
      if (!factory) {
        unavailable.set(name, PLANNED_TYPES.has(options.type)
          ? `engine type "${options.type}" is not available in this build`
          : `engine type "${options.type}" is unknown (known types: ${Object.keys(FACTORIES).join(', ')})`);
        continue;
      }
      try {
        engines.set(name, await factory(name, options, { baseDir, log: log.child({ engine: name }) }));
      } catch (error) {
        unavailable.set(name, `engine "${name}" failed to start: ${(error as Error).message}`);
        // A warning, not a crash: the server serves every other model, and these jobs fail with the reason.
        log.warn({ engine: name, reason: (error as Error).message }, 'engine failed to start; jobs routed to it will fail with engine_unavailable');
      }
    }
    const routes = new Map(catalog.models.map((model) => [model.id, config.models[model.id]?.engine ?? model.defaultEngine]));
    return new EngineRegistry(engines, unavailable, routes, config.engines);
  }

  route(modelId: string): Route {
    const engineName = this.routes.get(modelId) ?? '(none)';
    const engine = this.engines.get(engineName);
    if (engine) return { engineName, engine };
    const why = this.unavailable.get(engineName) ?? `no engine named "${engineName}" is configured`;
    return {
      engineName,
      reason: `Model ${modelId} is routed to engine "${engineName}", which is unavailable: ${why}. ` +
        `Route it to a working engine in the MODELGATE_CONFIG file, e.g. {"engines": {"gpu": {"type": "comfyui", ...}}, "models": {"${modelId}": {"engine": "gpu"}}}; see docs/engines.md.`,
    };
  }

  /** A line per engine for the start-up log and /healthz. */
  describe(): Array<{ name: string; type: string; available: boolean; reason?: string }> {
    return [
      ...[...this.engines.values()].map((engine) => ({ name: engine.name, type: engine.type, available: true })),
      ...[...this.unavailable.entries()].map(([name, reason]) => ({ name, type: this.configured[name]?.type ?? 'unknown', available: false, reason })),
    ];
  }

  async close(): Promise<void> {
    await Promise.all([...this.engines.values()].map((engine) => engine.close?.()));
  }
}
