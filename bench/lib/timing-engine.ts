/**
 * The test engine double (test/support/test-engine.ts), wrapped so that each run() records the
 * moment it was entered: "<request id> <process.hrtime.bigint()>" appended to `record_file`.
 * hrtime is CLOCK_MONOTONIC, shared by every process on the machine, so the benchmark process
 * can subtract its own send time from it. Loaded through the production `module` engine type.
 */
import { appendFileSync } from 'node:fs';
import type { Engine } from '../../src/engines/engine.ts';
import type { ModuleEngineFactoryArgs } from '../../src/engines/module/module-engine.ts';
import { createTestEngine } from '../../test/support/test-engine.ts';

export function createEngine({ name, options }: ModuleEngineFactoryArgs): Engine {
  const inner = createTestEngine(name);
  const recordFile = typeof options.record_file === 'string' ? options.record_file : undefined;
  return {
    name: inner.name,
    type: 'bench-timing',
    run(job, context) {
      const entered = process.hrtime.bigint();
      if (recordFile) appendFileSync(recordFile, `${job.requestId} ${entered}\n`);
      return inner.run(job, context);
    },
  };
}
