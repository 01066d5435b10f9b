/** The package's public surface: embed the server, or write an engine for the `module` type. */
export { buildApp } from './api/app.ts';
export { loadConfig, type Config, type EngineConfig } from './config.ts';
export { createContext, type Context, type ContextOverrides } from './context.ts';
export { EngineError, RetryableEngineError, type Engine, type EngineJob, type EngineOutput, type EngineRunContext, type ResolvedFile } from './engines/engine.ts';
export type { ModuleEngineFactoryArgs } from './engines/module/module-engine.ts';
export { ERROR_CATALOG, ApiError, type ErrorEnvelope } from './errors.ts';
export type { Store, JobRecord, JobState } from './store/store.ts';
export { WorkerPool } from './worker/worker-pool.ts';
