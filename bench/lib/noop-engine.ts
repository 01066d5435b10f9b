/**
 * The engine of the queue comparison (bench/pg-queue.ts): does nothing and returns `outputs`
 * one-pixel PNGs (0 by default, like the anchors' no-op handlers). A job whose input carries
 * `timed` appends "<timed value> <process.hrtime.bigint()>" to `record_file` when run() is
 * entered; hrtime is CLOCK_MONOTONIC, shared by every process, so the bench can subtract its own
 * enqueue time. Loaded through the production `module` engine type.
 */
import { appendFileSync } from 'node:fs';
import type { Engine, EngineOutput } from '../../src/engines/engine.ts';
import type { ModuleEngineFactoryArgs } from '../../src/engines/module/module-engine.ts';
import { ONE_PIXEL_PNG } from '../../test/support/test-engine.ts';

export function createEngine({ name, options }: ModuleEngineFactoryArgs): Engine {
  const recordFile = typeof options.record_file === 'string' ? options.record_file : undefined;
  const outputs = typeof options.outputs === 'number' ? options.outputs : 0;
  return {
    name,
    type: 'bench-noop',
    async run(job) {
      if (recordFile && typeof job.input.timed === 'string') appendFileSync(recordFile, `${job.input.timed} ${process.hrtime.bigint()}\n`);
      return Array.from({ length: outputs }, (): EngineOutput => ({ kind: 'image', contentType: 'image/png', extension: 'png', data: ONE_PIXEL_PNG }));
    },
  };
}
