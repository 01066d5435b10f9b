/**
 * A test double for an engine, loaded through the production `module` engine type
 * ({"type": "module", "module": "<this file>"}) or passed directly to createContext.
 * Its behaviour is steered by the job's text input (`prompt` or `promptText`), so tests can
 * drive it through the real API:
 *   "sleep=MS"   run for MS milliseconds, reporting progress, honouring the abort signal
 *   "hang"       run until aborted
 *   "scratch"    write a file into the attempt's work dir first (which creates it: it is made on
 *                first use)
 *   "fail"       throw an EngineError (type "test_failure")
 *   "crash"      throw a plain Error
 *   "images=N"   return N images instead of one
 *   "exit"       kill the whole process mid-run (SIGKILL), as a crashing worker would
 * A job with resolved file inputs gets those files back as its outputs (same bytes and type), so
 * tests can prove the engine received exactly what the client sent.
 * Every run appends "<request id> <attempt>" to options.log_file when given, so tests can count
 * executions across processes.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModuleEngineFactoryArgs } from '../../src/engines/module/module-engine.ts';
import { EngineError, type Engine, type EngineOutput } from '../../src/engines/engine.ts';

/** The smallest valid PNG: one transparent pixel. */
export const ONE_PIXEL_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

/** What a test video output starts with, before the bytes of the input file it was made from. */
export const VIDEO_MARK = Buffer.from('test video made from: ');

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    }, { once: true });
  });
}

export function createTestEngine(name = 'test', logFile?: string): Engine {
  return {
    name,
    type: 'test',
    async run(job, context) {
      const { signal, progress } = context;
      const text = String(job.input.prompt ?? job.input.promptText ?? '');
      // Before the execution log line, so a test that sees the line can count on the folder.
      if (text.includes('scratch')) writeFileSync(join(context.workDir, 'scratch'), 'engine scratch file');
      if (logFile) appendFileSync(logFile, `${job.requestId} ${job.attempt}\n`);
      const sleepMs = /sleep=(\d+)/.exec(text)?.[1];
      if (text.includes('exit')) process.kill(process.pid, 'SIGKILL');
      if (text.includes('hang')) await sleep(24 * 3600_000, signal);
      if (sleepMs) {
        const total = Number(sleepMs);
        for (let elapsed = 0; elapsed < total; elapsed += 50) {
          progress(elapsed / total);
          await sleep(Math.min(50, total - elapsed), signal);
        }
      }
      if (text.includes('fail')) throw new EngineError('test_failure', 'the test engine was asked to fail');
      if (text.includes('crash')) throw new Error('the test engine crashed');
      const received = Object.values(job.files);
      const isVideo = job.modelId.includes('video');
      if (received.length > 0) {
        // Image models hand the files back as they are; video models wrap them in a marked
        // "video", so tests can still see exactly which bytes the engine was given.
        return received.map((file): EngineOutput => isVideo
          ? { kind: 'video', contentType: 'video/mp4', extension: 'mp4', data: Buffer.concat([VIDEO_MARK, readFileSync(file.path)]) }
          : { kind: file.kind, contentType: file.contentType, extension: file.path.replace(/^.*\./, ''), data: readFileSync(file.path) });
      }
      const count = Number(/images=(\d+)/.exec(text)?.[1] ?? 1);
      return Array.from({ length: count }, (): EngineOutput => (isVideo
        ? { kind: 'video', contentType: 'video/mp4', extension: 'mp4', data: Buffer.from('not really an mp4, a test double output') }
        : { kind: 'image', contentType: 'image/png', extension: 'png', data: ONE_PIXEL_PNG }));
    },
  };
}

/** The `module` engine entry point. */
export function createEngine({ name, options }: ModuleEngineFactoryArgs): Engine {
  return createTestEngine(name, typeof options.log_file === 'string' ? options.log_file : undefined);
}
