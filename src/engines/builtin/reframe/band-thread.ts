/**
 * The reframe task on an engine thread (../../threads): a session holds the current pyramid
 * level's shared buffers; a call either sets the level or runs one band task on it.
 */
import { runBandTask } from './band-tasks.ts';
import type { BandTask } from './complete.ts';
import type { LevelBuffers } from './patchmatch.ts';

export type BandCall = { level: LevelBuffers } | { task: BandTask };

interface BandState {
  level: LevelBuffers | undefined;
}

export function open(): BandState {
  return { level: undefined };
}

export function call(state: BandState, payload: BandCall): null {
  if ('level' in payload) state.level = payload.level;
  else if (!state.level) throw new Error('no level set');
  else runBandTask(state.level, payload.task);
  return null;
}
