/**
 * Runs one band task on a level's buffers, and the runner that does so on the calling thread
 * (used when worker threads are unavailable, and by tests that compare the two).
 */
import type { BandRunner, BandTask } from './complete.ts';
import type { LevelBuffers } from './patchmatch.ts';
import { randomNnfBand, searchBand, voteBand } from './patchmatch.ts';

export function runBandTask(level: LevelBuffers, task: BandTask): void {
  switch (task.op) {
    case 'search':
      searchBand(level, task.args);
      break;
    case 'vote':
      voteBand(level, task.rowFrom, task.rowTo);
      break;
    case 'random':
      randomNnfBand(level, task.rowFrom, task.rowTo, task.seed);
      break;
  }
}

/** Runs every band in turn on this thread: same results as the workers, bit for bit. */
export function inlineRunner(): BandRunner {
  let level: LevelBuffers | undefined;
  return {
    async setLevel(next) {
      level = next;
    },
    async run(tasks) {
      if (!level) throw new Error('setLevel first');
      for (const task of tasks) runBandTask(level, task);
    },
  };
}
