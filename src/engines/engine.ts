/**
 * The Engine seam: what runs a model. An engine gets the job's defaulted input and its resolved
 * file inputs, reports progress, honours the abort signal, and returns output files. It never
 * touches the store, the queue or HTTP routing; the worker does all of that around it.
 */
import type { Logger } from 'pino';
import type { LocalFile } from '../inputs/measured-file.ts';

/** A file input after the worker fetched and measured it: always a local file (inputs/measured-file.ts). */
export type ResolvedFile = LocalFile;

export interface EngineJob {
  requestId: string;
  modelId: string;
  attempt: number;
  input: Record<string, unknown>;
  files: Record<string, ResolvedFile>;
}

export interface EngineRunContext {
  /** Fires when the job must stop: lost lease, shutdown. Engines stop promptly and throw. */
  signal: AbortSignal;
  /** Progress from 0 to 1; the worker throttles what it writes. */
  progress(fraction: number): void;
  /**
   * A private scratch directory for this attempt, removed afterwards. Created when first read,
   * so an engine that never needs one costs its attempt no file-system calls.
   */
  workDir: string;
  log: Logger;
}

export interface EngineOutput {
  kind: 'image' | 'video';
  contentType: string;
  /** File extension without the dot, e.g. `png`, `mp4`. */
  extension: string;
  data: Buffer | { path: string };
  /** A video's length, when the engine knows it; otherwise the worker measures it (usage and cost). */
  durationSeconds?: number;
}

/**
 * What a run made, with `notices`: sentences the client should read beside the output (e.g. that
 * the model cannot draw what the prompt asks for). They reach the job's result as `notices`.
 */
export interface EngineResult {
  outputs: EngineOutput[];
  notices?: string[];
}

export interface Engine {
  readonly name: string;
  readonly type: string;
  /** An engine with nothing to say returns its outputs alone; `EngineResult` adds notices. */
  run(job: EngineJob, context: EngineRunContext): Promise<EngineOutput[] | EngineResult>;
  /**
   * Said once when a server starts, for engines whose operator should know something about what
   * clients will get (the onnx engine on its bundled demonstration model).
   */
  readonly startNotice?: string;
  close?(): Promise<void>;
}

/** Either form an engine may return, as one shape. */
export function toEngineResult(value: EngineOutput[] | EngineResult): Required<EngineResult> {
  return Array.isArray(value) ? { outputs: value, notices: [] } : { outputs: value.outputs, notices: value.notices ?? [] };
}

/**
 * An error an engine throws on purpose: its `type` and message reach the client's result as
 * `error: {type, message}`. Anything else thrown becomes `engine_error` with its message.
 */
export class EngineError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

/**
 * The attempt failed for a reason outside the job itself (the machine that ran it died, a remote
 * server vanished mid-run): the worker gives the job back to the queue for another attempt,
 * spending one unit of the job's retry budget (MODELGATE_MAX_ATTEMPTS) exactly as a lost lease
 * does. Once the budget is spent the job fails with this error's `type` and message.
 */
export class RetryableEngineError extends EngineError {
  constructor(type: string, message: string) {
    super(type, message);
    this.name = 'RetryableEngineError';
  }
}
