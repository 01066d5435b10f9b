/**
 * Where the image-to-video encoder's ffmpeg comes from, never a download: MODELGATE_FFMPEG, then
 * `ffmpeg` on PATH (Debian's package), then the binary shipped inside the npm package
 * @ffmpeg-installer/ffmpeg (a per-platform package that carries the executable itself).
 * The same order as findFfprobe in src/inputs/probe-video.ts.
 */
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, resolve } from 'node:path';
import { EngineError } from '../../engine.ts';

export interface FfmpegLocation {
  path: string;
  source: 'MODELGATE_FFMPEG' | 'PATH' | '@ffmpeg-installer/ffmpeg';
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The npm fallback's binary, or undefined when the package is not installed for this platform. */
export function bundledFfmpeg(): string | undefined {
  try {
    const bundled = createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string };
    return isExecutable(bundled.path) ? bundled.path : undefined;
  } catch {
    return undefined;
  }
}

let located: FfmpegLocation | undefined;

/** Finds ffmpeg; an explicit MODELGATE_FFMPEG is used as given (a wrong path fails at spawn, loudly). */
export function findFfmpeg(env: NodeJS.ProcessEnv = process.env): FfmpegLocation {
  if (env.MODELGATE_FFMPEG) return { path: env.MODELGATE_FFMPEG, source: 'MODELGATE_FFMPEG' };
  if (located && env === process.env) return located;
  let found: FfmpegLocation | undefined;
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = resolve(dir, 'ffmpeg');
    if (isExecutable(candidate)) {
      found = { path: candidate, source: 'PATH' };
      break;
    }
  }
  if (!found) {
    const bundled = bundledFfmpeg();
    if (bundled) found = { path: bundled, source: '@ffmpeg-installer/ffmpeg' };
  }
  if (!found) {
    throw new EngineError('engine_unavailable', 'Image-to-video needs ffmpeg and none was found: install ffmpeg (e.g. apt-get install ffmpeg), set MODELGATE_FFMPEG to its path, or run npm install so @ffmpeg-installer/ffmpeg is present.');
  }
  if (env === process.env) located = found;
  return found;
}
