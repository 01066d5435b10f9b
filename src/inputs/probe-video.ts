/**
 * Video measurement with ffprobe, hardened as research §4 measured: a container whitelist
 * (an HLS playlist renamed .mp4 otherwise makes ffprobe read other local media files), the
 * `file` protocol only, `execFile` with an argument array (no shell), and a timeout that ends
 * in SIGKILL (ffprobe blocks forever on input that never ends). Only a local file we wrote is
 * ever probed, never the client's URL. ffprobe's numbers are treated as untrusted and checked.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { findExecutable } from '../tools/find-executable.ts';
import { InputError } from './errors.ts';

export interface VideoProbeOptions {
  /** Default: MODELGATE_FFPROBE, then `ffprobe` on PATH, then @ffprobe-installer/ffprobe. */
  ffprobePath?: string;
  /** Default 15 s; then SIGKILL. */
  timeoutMs?: number;
}

export interface VideoProbe {
  width: number;
  height: number;
  durationSeconds: number;
  codec: string;
  /** ffprobe's format_name, e.g. `mov,mp4,m4a,3gp,3g2,mj2` or `matroska,webm`. */
  formatName: string;
}

export const VIDEO_FORMAT_WHITELIST = 'mov,mp4,m4a,3gp,3g2,mj2,matroska,webm';
const MAX_DIMENSION = 32_768;

let located: string | undefined;

/** Finds an ffprobe binary without downloading anything; throws when there is none. */
export function findFfprobe(explicit?: string): string {
  if (explicit) return explicit;
  if (process.env.MODELGATE_FFPROBE) return process.env.MODELGATE_FFPROBE;
  if (located) return located;
  const found = findExecutable({ command: 'ffprobe', envVar: 'MODELGATE_FFPROBE', npmPackage: '@ffprobe-installer/ffprobe' });
  if (!found) throw new Error(`ffprobe not found: set MODELGATE_FFPROBE, install ffmpeg, or install @ffprobe-installer/ffprobe`);
  return (located = found.path);
}

interface FfprobeOutput {
  streams?: { codec_name?: string; width?: number; height?: number; duration?: string }[];
  format?: { format_name?: string; duration?: string };
}

function run(binary: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(binary, args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1024 * 1024, shell: false, windowsHide: true }, (error, stdout) => {
      if (error) reject(error);
      else resolvePromise(stdout);
    });
  });
}

export async function probeVideo(path: string, options: VideoProbeOptions = {}): Promise<VideoProbe> {
  const binary = findFfprobe(options.ffprobePath);
  const timeoutMs = options.timeoutMs ?? 15_000;
  const args = [
    '-v', 'error',
    '-format_whitelist', VIDEO_FORMAT_WHITELIST,
    '-protocol_whitelist', 'file',
    '-select_streams', 'v:0',
    '-show_entries', 'stream=codec_name,width,height,duration:format=format_name,duration',
    '-of', 'json',
    // The `file:` prefix keeps a path that looks like `http:…` or `concat:…` a path.
    `file:${resolve(path)}`,
  ];
  let stdout: string;
  try {
    stdout = await run(binary, args, timeoutMs);
  } catch (error) {
    const killed = (error as { killed?: boolean; signal?: string }).signal === 'SIGKILL';
    // ffprobe's stderr names local paths; the client gets a fixed sentence, the log the cause.
    throw new InputError('unreadable', killed ? 'the video could not be probed in time' : 'the video could not be read: it is corrupt or not a supported container', {
      cause: error,
      details: { killed },
    });
  }
  let parsed: FfprobeOutput;
  try {
    parsed = JSON.parse(stdout) as FfprobeOutput;
  } catch (error) {
    throw new InputError('unreadable', 'the video could not be read', { cause: error });
  }
  const stream = parsed.streams?.[0];
  const formatName = parsed.format?.format_name ?? '';
  if (!formatName.split(',').every((name) => VIDEO_FORMAT_WHITELIST.split(',').includes(name))) {
    throw new InputError('bad_type', 'the video container is not accepted');
  }
  const width = stream?.width;
  const height = stream?.height;
  if (!stream || !Number.isInteger(width) || !Number.isInteger(height) || width! <= 0 || height! <= 0 || width! > MAX_DIMENSION || height! > MAX_DIMENSION) {
    throw new InputError('unreadable', 'the video has no readable video stream');
  }
  const durationSeconds = Number(parsed.format?.duration ?? stream.duration);
  if (!Number.isFinite(durationSeconds) || durationSeconds <= 0) {
    throw new InputError('unreadable', 'the video has no readable duration');
  }
  return { width: width!, height: height!, durationSeconds, codec: stream.codec_name ?? 'unknown', formatName };
}
