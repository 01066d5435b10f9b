/**
 * Where the image-to-video encoder's ffmpeg comes from, never a download: MODELGATE_FFMPEG, then
 * `ffmpeg` on PATH (Debian's package), then the binary shipped inside the npm package
 * @ffmpeg-installer/ffmpeg (a per-platform package that carries the executable itself).
 * The same order as findFfprobe in src/inputs/probe-video.ts.
 */
import { bundledExecutable, findExecutable } from '../../../tools/find-executable.ts';
import { EngineError } from '../../engine.ts';

export interface FfmpegLocation {
  path: string;
  source: 'MODELGATE_FFMPEG' | 'PATH' | '@ffmpeg-installer/ffmpeg';
}

const FFMPEG = { command: 'ffmpeg', envVar: 'MODELGATE_FFMPEG', npmPackage: '@ffmpeg-installer/ffmpeg' } as const;

/** The npm fallback's binary, or undefined when the package is not installed for this platform. */
export function bundledFfmpeg(): string | undefined {
  return bundledExecutable(FFMPEG.npmPackage);
}

let located: FfmpegLocation | undefined;

/** Finds ffmpeg; an explicit MODELGATE_FFMPEG is used as given (a wrong path fails at spawn, loudly). */
export function findFfmpeg(env: NodeJS.ProcessEnv = process.env): FfmpegLocation {
  if (located && env === process.env && !env.MODELGATE_FFMPEG) return located;
  const found = findExecutable(FFMPEG, env) as FfmpegLocation | undefined;
  if (!found) {
    throw new EngineError('engine_unavailable', 'Image-to-video needs ffmpeg and none was found: install ffmpeg (e.g. apt-get install ffmpeg), set MODELGATE_FFMPEG to its path, or run npm install so @ffmpeg-installer/ffmpeg is present.');
  }
  if (env === process.env && found.source !== 'MODELGATE_FFMPEG') located = found;
  return found;
}
