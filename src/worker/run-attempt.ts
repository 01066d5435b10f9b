/**
 * One attempt at one job: route to the engine, run it under a heartbeat, store its outputs and
 * settle the job, every write fenced on (id, attempt). If the lease is lost mid-run the engine
 * is aborted and nothing is written: the attempt that holds the lease now owns the job.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Context } from '../context.ts';
import { EngineError, RetryableEngineError, toEngineResult, type EngineOutput } from '../engines/engine.ts';
import { isStorageFault, StorageFaultError } from '../store/storage-fault.ts';
import type { ClaimedJob, JobOutputFile } from '../store/store.ts';
import type { ThrottledLog } from '../throttled-log.ts';
import { backoffDelay } from './backoff.ts';
import { resolveJobFiles } from './resolve-inputs.ts';
import { measureUsage } from './usage.ts';
import { WorkDir } from './work-dir.ts';

/** Why an attempt was aborted from outside the engine. */
export type AbortReason = 'lease_lost' | 'shutdown';

export class AttemptAborted extends Error {
  constructor(readonly reason: AbortReason) {
    super(`attempt aborted: ${reason}`);
  }
}

const PROGRESS_WRITE_INTERVAL_MS = 250;

export interface AttemptOutcome {
  state: 'succeeded' | 'failed' | 'released' | 'retried' | 'abandoned';
  /** The attempt hit a storage fault (full disk, database down): the caller should slow down. */
  storageFault?: boolean;
  /** The error type when the engine failed the attempt (retryable or not), for the metrics. */
  engineError?: string;
}

/** A Store write whose failure is the storage's, never the job's: see StorageFaultError. */
function storeWrite<T>(write: Promise<T>): Promise<T> {
  return write.catch((error: unknown) => {
    throw new StorageFaultError(error);
  });
}

/**
 * Runs one claimed attempt to its end and settles it. Throws only when the store cannot be
 * written at all (a StorageFaultError): the job then stays claimed until its lease runs out and
 * the sweeper requeues it.
 */
export async function runAttempt(ctx: Context, job: ClaimedJob, shutdown: AbortSignal, faults?: ThrottledLog): Promise<AttemptOutcome> {
  const { store, config } = ctx;
  const route = ctx.engines.route(job.modelId);
  const log = ctx.log.child({ request_id: job.id, attempt: job.attempt, model: job.modelId, engine: route.engineName });
  const controller = new AbortController();
  const abort = (reason: AbortReason) => {
    if (!controller.signal.aborted) controller.abort(new AttemptAborted(reason));
  };
  const onShutdown = () => abort('shutdown');
  shutdown.addEventListener('abort', onShutdown, { once: true });

  // Renew the lease at a third of its length, so two renewals can fail before it runs out.
  const heartbeat = setInterval(() => {
    store.heartbeat(job.id, job.attempt, config.leaseMs, Date.now()).then(
      (held) => {
        if (!held) {
          log.warn('lease lost (the job was re-queued or cancelled elsewhere); aborting this attempt');
          abort('lease_lost');
        }
      },
      (error: unknown) => (faults ? faults.write('error', 'heartbeat', { err: error }, 'heartbeat failed') : log.error({ err: error }, 'heartbeat failed')),
    );
  }, Math.max(10, Math.floor(config.leaseMs / 3)));

  let lastProgressWrite = 0;
  const progress = (fraction: number) => {
    const now = Date.now();
    if (!Number.isFinite(fraction) || now - lastProgressWrite < PROGRESS_WRITE_INTERVAL_MS) return;
    lastProgressWrite = now;
    store.reportProgress(job.id, job.attempt, Math.min(1, Math.max(0, fraction))).catch((error: unknown) =>
      faults ? faults.write('warn', 'progress', { err: error }, 'progress write failed') : log.warn({ err: error }, 'progress write failed'));
  };

  const workDir = new WorkDir(join(config.dataDir, 'work', `${job.id}-${job.attempt}`));
  // Output keys written by this attempt; removed again unless the attempt settles as succeeded.
  const written: string[] = [];
  let succeeded = false;
  // While the completing write is in flight its outcome is unknown (PostgreSQL can commit and then
  // drop the connection): the outputs are kept then, and the orphan reaper decides from the row.
  let settling = false;
  try {
    if (!route.engine) {
      await storeWrite(store.fail(job.id, job.attempt, { type: 'engine_unavailable', message: route.reason }, Date.now()));
      log.warn('no available engine for model');
      return { state: 'failed', engineError: 'engine_unavailable' };
    }
    // One info line per attempt, saying how it ended (below); its start is a debug line. At a
    // thousand short jobs a second, pino's synchronous writes were a fifth of a worker's time.
    log.debug('attempt started');
    const files = await resolveJobFiles(ctx, job, () => workDir.ensure(), controller.signal);
    const { outputs, notices } = toEngineResult(await route.engine.run(
      { requestId: job.id, modelId: job.modelId, attempt: job.attempt, input: job.input, files },
      { signal: controller.signal, progress, get workDir() { return workDir.ensure(); }, log },
    ));
    if (controller.signal.aborted) throw controller.signal.reason;
    // Measured before the outputs are stored, while the engine's files are still in the work dir.
    const usage = await measureUsage(outputs, ctx.pricing.priceOf(job.modelId), () => workDir.ensure(), log);
    const stored = await storeOutputs(ctx, job, outputs, written);
    settling = true;
    succeeded = await storeWrite(store.complete(job.id, job.attempt, stored, Date.now(), usage, notices));
    settling = false;
    if (!succeeded) log.warn('attempt finished after losing its lease; its outputs were discarded');
    else log.info({ outputs: stored.length, seconds: usage.seconds, cost_usd: usage.costUsd }, 'attempt succeeded');
    return { state: succeeded ? 'succeeded' : 'abandoned' };
  } catch (thrown) {
    const reason = controller.signal.aborted ? (controller.signal.reason as AttemptAborted).reason : undefined;
    if (reason === 'shutdown') {
      await storeWrite(store.release(job.id, job.attempt));
      log.info('attempt released back to the queue for shutdown');
      return { state: 'released' };
    }
    if (reason === 'lease_lost') return { state: 'abandoned' };
    if (isStorageFault(thrown)) {
      // The disk or the database failed, not the job: requeue it to wait out a back-off that
      // grows with each claim, spending the retry budget like a lost worker. If even that write
      // fails, the error goes up: the job stays claimed until its lease runs out and the sweeper
      // (backing off in turn) requeues it once the store takes writes again.
      const message = `Storage failed while running the job: ${(thrown as Error).message} (the job was retried until its retry budget, MODELGATE_MAX_ATTEMPTS, was spent)`;
      const now = Date.now();
      const notBefore = now + backoffDelay(job.attempt, config.faultBackoffMs);
      const outcome = await storeWrite(store.retry(job.id, job.attempt, { type: 'storage_unavailable', message }, now, notBefore));
      const fields = { err: thrown, outcome: outcome ?? 'lease already lost', retry_in_ms: notBefore - now };
      if (faults) faults.write('warn', 'attempt-storage', fields, 'attempt hit a storage fault');
      else log.warn(fields, 'attempt hit a storage fault');
      return { state: outcome === 'requeued' ? 'retried' : outcome === 'failed' ? 'failed' : 'abandoned', storageFault: true };
    }
    if (thrown instanceof RetryableEngineError) {
      // Not the job's fault: another attempt (on another machine or server) may well succeed,
      // so it goes back to the queue, spending the same budget a lost lease spends.
      const message = `${thrown.message} (the job was retried until its retry budget, MODELGATE_MAX_ATTEMPTS, was spent)`;
      const outcome = await storeWrite(store.retry(job.id, job.attempt, { type: thrown.type, message }, Date.now()));
      log.warn({ type: thrown.type, reason: thrown.message, outcome: outcome ?? 'lease already lost' }, 'attempt failed for a reason outside the job');
      return { state: outcome === 'requeued' ? 'retried' : outcome === 'failed' ? 'failed' : 'abandoned', engineError: thrown.type };
    }
    const error = thrown instanceof EngineError
      ? { type: thrown.type, message: thrown.message }
      : { type: 'engine_error', message: `The engine failed: ${(thrown as Error)?.message ?? String(thrown)}` };
    if (!(thrown instanceof EngineError)) log.error({ err: thrown }, 'engine threw');
    else log.info({ type: error.type, reason: error.message }, 'attempt failed');
    const settled = await storeWrite(store.fail(job.id, job.attempt, error, Date.now()));
    return { state: settled ? 'failed' : 'abandoned', engineError: error.type };
  } finally {
    clearInterval(heartbeat);
    shutdown.removeEventListener('abort', onShutdown);
    // Best effort: on a full disk even removing can fail, and the reaper sweeps what is left.
    if (!succeeded && !settling) await Promise.all(written.map((key) => ctx.blobs.delete(key).catch(() => {})));
    await workDir.remove();
  }
}

/**
 * Outputs go under a per-attempt key with a random token, so a stale attempt can never overwrite
 * the files of the attempt that won, and URLs cannot be guessed from the request id.
 */
async function storeOutputs(ctx: Context, job: ClaimedJob, outputs: EngineOutput[], written: string[]): Promise<JobOutputFile[]> {
  // No outputs, no folder: the token's random bytes were a measurable share of a no-op attempt.
  if (outputs.length === 0) return [];
  const folder = `outputs/${job.id}/${job.attempt}-${randomBytes(16).toString('hex')}`;
  const files: JobOutputFile[] = [];
  for (const [index, output] of outputs.entries()) {
    const extension = output.extension.replace(/[^a-z0-9]/gi, '') || 'bin';
    const key = `${folder}/${index}.${extension}`;
    written.push(key);
    await ctx.blobs.put(key, output.data, output.contentType);
    files.push({ key, kind: output.kind, contentType: output.contentType });
  }
  return files;
}
