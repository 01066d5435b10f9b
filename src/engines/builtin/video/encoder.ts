/**
 * ffmpeg as a child process: raw yuv420p frames (BT.709, limited range) in on stdin, an H.264 MP4 out. Spawned with an
 * argument array (no shell); killed with SIGKILL when the job is aborted, and always waited for,
 * so no ffmpeg outlives its job. The arguments make the bytes a function of the frames alone:
 * fixed thread count, bitexact muxing, no metadata, no timestamps.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EngineError } from '../../engine.ts';

export interface EncoderOptions {
  ffmpegPath: string;
  width: number;
  height: number;
  fps: number;
  outPath: string;
  signal: AbortSignal;
  /** x264 preset; default veryfast (see docs/benchmarks.md for the measurements behind it). */
  preset?: string;
  crf?: number;
  /** x264 threads: fixed, because x264's output depends on its thread count. Default 2. */
  threads?: number;
  /** Redacted from ffmpeg's messages before they reach the client (the work folder's path). */
  redact?: string;
}

/** The ffmpeg command line: raw yuv420p on stdin, an MP4 file out. */
export function encoderArguments(options: Omit<EncoderOptions, 'ffmpegPath' | 'signal' | 'frames'>): string[] {
  const { width, height, fps, outPath } = options;
  return [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-color_range', 'tv', '-colorspace', 'bt709', '-video_size', `${width}x${height}`, '-framerate', String(fps), '-i', 'pipe:0',
    '-an', '-sn', '-dn', '-map_metadata', '-1', '-map_chapters', '-1',
    '-c:v', 'libx264', '-preset', options.preset ?? 'veryfast', '-crf', String(options.crf ?? 20),
    '-profile:v', 'high', '-level:v', '4.0', '-pix_fmt', 'yuv420p', '-g', String(fps * 2),
    '-threads', String(options.threads ?? 2),
    // Tagged BT.709 limited range, which is what the frames are and what browsers assume for HD.
    '-color_primaries', 'bt709', '-color_trc', 'bt709', '-colorspace', 'bt709', '-color_range', 'tv',
    '-fflags', '+bitexact', '-flags:v', '+bitexact',
    '-movflags', '+faststart', '-f', 'mp4', `file:${outPath}`,
  ];
}

export interface Encoder {
  readonly process: ChildProcess;
  /** Resolves when ffmpeg has taken the frame (the buffer may then be reused). */
  write(frame: Uint8Array): Promise<void>;
  /** Closes stdin and waits for ffmpeg to finish the file; throws an EngineError on failure. */
  finish(): Promise<void>;
}

const STDERR_TAIL = 2000;

export function startEncoder(options: EncoderOptions): Encoder {
  options.signal.throwIfAborted();
  const child = spawn(options.ffmpegPath, encoderArguments(options), { stdio: ['pipe', 'ignore', 'pipe'], shell: false, windowsHide: true });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL * 2);
  });
  // EPIPE when ffmpeg dies early: the exit code and stderr tell the story.
  child.stdin!.on('error', () => {});

  let spawnError: Error | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', (error) => {
      spawnError = error;
      resolve({ code: null, signal: null });
    });
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  const onAbort = () => child.kill('SIGKILL');
  options.signal.addEventListener('abort', onAbort, { once: true });

  const failure = async (): Promise<never> => {
    const { code, signal } = await exited;
    options.signal.removeEventListener('abort', onAbort);
    options.signal.throwIfAborted();
    if (spawnError) {
      throw new EngineError('engine_unavailable', `ffmpeg could not be started (${options.ffmpegPath}: ${spawnError.message}); install ffmpeg or set MODELGATE_FFMPEG (see docs/engines.md)`);
    }
    let tail = stderr.trim().slice(-STDERR_TAIL);
    if (options.redact) tail = tail.split(options.redact).join('<work>');
    throw new EngineError('encoder_failed', `ffmpeg ${code !== null ? `exited with code ${code}` : `was killed by ${signal}`} while encoding the video${tail ? `: ${tail}` : ' and printed nothing'}`);
  };
  // A failure is noticed by a write in progress or by finish(), whichever comes first.
  let ended = false;
  void exited.then(() => { ended = true; });

  return {
    process: child,
    async write(frame) {
      if (ended || !child.stdin!.writable) return failure();
      const taken = await Promise.race([
        new Promise<boolean>((resolve) => child.stdin!.write(frame, (error) => resolve(!error))),
        exited.then(() => false),
      ]);
      if (taken) return;
      const { code, signal } = await exited;
      if (code !== 0 || signal || spawnError || options.signal.aborted) await failure();
    },
    async finish() {
      child.stdin!.end();
      const { code, signal } = await exited;
      options.signal.removeEventListener('abort', onAbort);
      options.signal.throwIfAborted();
      if (code !== 0 || signal || spawnError) await failure();
    },
  };
}
