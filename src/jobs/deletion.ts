/**
 * Deleting a finished job, for DELETE /v1/requests/{id} and for output retention (the janitor):
 * the job's files first, then its row becomes a tombstone (Store.tombstoneJob). In that order a
 * crash leaves at worst a job whose files are gone, which the next DELETE or janitor run
 * finishes; never files that no row names.
 *
 * A job's files are the ones it owns: its outputs, and the data: URIs its submit stored (their
 * URLs were written only into its input; uploads/uploads.ts names them apart). Uploads made with
 * POST /v1/files are the key's, may be named by several jobs, and expire on their own
 * (MODELGATE_UPLOAD_RETENTION_HOURS), so a deletion leaves them. Output folders of earlier
 * attempts that never settled are the orphan reaper's (the tombstone names no outputs).
 */
import type { Context } from '../context.ts';
import { ApiError } from '../errors.ts';
import type { DeletableJob } from '../store/store.ts';
import { isStoredDataUri } from '../uploads/uploads.ts';
import type { JobService } from './job-service.ts';

type DeletionContext = Pick<Context, 'store' | 'blobs' | 'uploads'>;

export interface DeleteResponse {
  request_id: string;
  status: 'deleted';
}

/** Every string in a job's input, at any depth (file fields may sit in arrays). */
function strings(value: unknown, found: string[] = []): string[] {
  if (typeof value === 'string') found.push(value);
  else if (Array.isArray(value)) for (const item of value) strings(item, found);
  else if (value !== null && typeof value === 'object') for (const item of Object.values(value)) strings(item, found);
  return found;
}

/** Removes the blobs a job owns: its outputs and the data: URIs stored for it. Idempotent. */
export async function removeJobFiles(ctx: DeletionContext, job: DeletableJob): Promise<void> {
  for (const output of job.outputs ?? []) await ctx.blobs.delete(output.key);
  for (const value of strings(job.input)) {
    const fileId = ctx.uploads.idOf(value);
    if (fileId === undefined) continue;
    const record = await ctx.store.getFile(fileId, job.ownerKeyId);
    // The row stays until it expires with the uploads (it can no longer be read: no job names it).
    if (record && isStoredDataUri(record)) await ctx.blobs.delete(record.blobKey);
  }
}

/** Files, then the tombstone; false when the row was no longer a deletable job (deleted meanwhile). */
export async function deleteFinishedJob(ctx: DeletionContext, job: DeletableJob, now: number): Promise<boolean> {
  await removeJobFiles(ctx, job);
  return ctx.store.tombstoneJob(job.id, job.ownerKeyId, now);
}

function stillRunning(id: string): ApiError {
  const msg = 'is running and cannot be deleted until it finishes (a running job cannot be cancelled); retry the DELETE once its status is completed';
  return new ApiError('invalid_input', `Request ${id} ${msg}.`, { detail: [{ loc: ['path', 'request_id'], msg, type: 'request_running' }] });
}

/**
 * DELETE /v1/requests/{id}: a queued job is cancelled first; a running one is refused (422001)
 * since nothing can stop it midway; a finished one loses its files, then its row. Afterwards,
 * and for a second DELETE, the id answers 404001 like one that never existed.
 */
export async function deleteRequest(ctx: DeletionContext, jobs: JobService, ownerKeyId: string, id: string): Promise<DeleteResponse> {
  let job = await jobs.get(ownerKeyId, id);
  if (job.state === 'queued') {
    await jobs.cancel(ownerKeyId, id);
    job = await jobs.get(ownerKeyId, id);
  }
  if (job.state === 'running') throw stillRunning(id);
  if (!(await deleteFinishedJob(ctx, job, Date.now()))) {
    // Lost to a concurrent DELETE (or retention): that one answers 200, this one what a client would see next.
    await jobs.get(ownerKeyId, id);
    throw stillRunning(id);
  }
  return { request_id: id, status: 'deleted' };
}
