/**
 * The engine of the fault battery (bench/faults.ts): the test engine double
 * (test/support/test-engine.ts, steered by the prompt: "sleep=MS" …), plus an event log that
 * says, per execution, when it started and when the engine returned:
 *   start <request id> <attempt> <pid> <epoch ms>
 *   done  <request id> <attempt> <pid> <epoch ms>
 * "done" means run() returned outputs; the attempt may still die before its result is committed.
 * Loaded through the production `module` engine type:
 *   {"type": "module", "module": "<this file>", "events_file": "<path>"}
 * The events file must live outside the data dir, so a full-disk fault does not silence it.
 */
import { appendFileSync } from 'node:fs';
import type { Engine } from '../../src/engines/engine.ts';
import type { ModuleEngineFactoryArgs } from '../../src/engines/module/module-engine.ts';
import { createTestEngine } from '../../test/support/test-engine.ts';

export function createEngine({ name, options }: ModuleEngineFactoryArgs): Engine {
  const inner = createTestEngine(name);
  const file = typeof options.events_file === 'string' ? options.events_file : undefined;
  const note = (kind: 'start' | 'done', id: string, attempt: number) => {
    if (file) appendFileSync(file, `${kind} ${id} ${attempt} ${process.pid} ${Date.now()}\n`);
  };
  return {
    ...inner,
    async run(job, context) {
      note('start', job.requestId, job.attempt);
      const outputs = await inner.run(job, context);
      note('done', job.requestId, job.attempt);
      return outputs;
    },
  };
}

export interface EngineEvent {
  kind: 'start' | 'done';
  id: string;
  attempt: number;
  pid: number;
  at: number;
}

export function parseEngineEvents(text: string): Map<string, EngineEvent[]> {
  const byId = new Map<string, EngineEvent[]>();
  for (const line of text.split('\n')) {
    const [kind, id, attempt, pid, at] = line.trim().split(' ');
    if ((kind !== 'start' && kind !== 'done') || !id || !at) continue;
    const list = byId.get(id) ?? [];
    list.push({ kind, id, attempt: Number(attempt), pid: Number(pid), at: Number(at) });
    byId.set(id, list);
  }
  return byId;
}
