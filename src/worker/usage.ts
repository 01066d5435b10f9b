/**
 * What an attempt's outputs count for when the job settles: how many files, how many seconds of
 * video, and their cost at the model's price of this moment (stored with the job, so a later
 * price change never changes it). A video's length is what its engine reported, else what
 * ffprobe measures; a video that cannot be measured counts 0 seconds and is logged, because
 * billing must never fail a job that produced its result.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Price } from '../catalog/pricing.ts';
import type { EngineOutput } from '../engines/engine.ts';
import { probeVideo } from '../inputs/probe-video.ts';
import type { JobUsage } from '../store/store.ts';

async function videoSeconds(output: EngineOutput, scratchPath: string, log: Logger): Promise<number> {
  if (output.durationSeconds !== undefined) return output.durationSeconds;
  try {
    let path: string;
    if (Buffer.isBuffer(output.data)) {
      await writeFile(scratchPath, output.data);
      path = scratchPath;
    } else path = output.data.path;
    return (await probeVideo(path)).durationSeconds;
  } catch (error) {
    log.warn({ err: error }, 'a video output could not be measured; it counts 0 seconds of usage and cost');
    return 0;
  }
}

export async function measureUsage(outputs: readonly EngineOutput[], price: Price, workDirOf: () => string, log: Logger): Promise<JobUsage> {
  let seconds = 0;
  for (const [index, output] of outputs.entries()) {
    if (output.kind === 'video') seconds += await videoSeconds(output, join(workDirOf(), `usage-probe-${index}`), log);
  }
  const costUsd = price.usd * (price.unit === 'output' ? outputs.length : seconds);
  return { outputs: outputs.length, seconds, costUsd };
}
