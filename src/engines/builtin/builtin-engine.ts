/**
 * The builtin engine: CPU only, no weights, no network. It serves the two file-taking models
 * with classical image processing (honestly: not a generative model):
 *   ideogram/ideogram-v3/reframe                      → content-aware outpainting (reframe/)
 *   runwayml/runway-gen-3-alpha/turbo/image-to-video  → virtual camera motion to H.264 (video/)
 * Models it does not know fail with `engine_unavailable`, naming the models it does serve.
 */
import type { Logger } from 'pino';
import type { EngineConfig } from '../../config.ts';
import { EngineError, type Engine, type EngineJob, type EngineOutput, type EngineRunContext } from '../engine.ts';

/** One model's implementation inside the builtin engine. */
export type BuiltinTask = (job: EngineJob, context: EngineRunContext) => Promise<EngineOutput[]>;

export function createBuiltinEngine(name: string, _options: EngineConfig, _log: Logger, tasks: Record<string, BuiltinTask>): Engine {
  return {
    name,
    type: 'builtin',
    async run(job, context) {
      const task = tasks[job.modelId];
      if (!task) {
        throw new EngineError('engine_unavailable', `The builtin engine does not run ${job.modelId}; it runs ${Object.keys(tasks).join(', ') || 'no models yet'}. Route this model to another engine in MODELGATE_CONFIG (see docs/engines.md).`);
      }
      return task(job, context);
    },
  };
}
