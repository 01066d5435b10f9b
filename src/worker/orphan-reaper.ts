/**
 * Removes the folders that attempts leave behind when their process is killed or their lease is
 * lost: scratch folders `work/<id>-<attempt>/` (runAttempt removes its own in `finally`, which a
 * killed process never reaches) and output folders `blobs/outputs/<id>/<attempt>-<token>/`
 * (written before the settle, so an attempt that dies or loses its lease after storing leaves
 * files no job points at).
 *
 * A folder goes only when the database says the attempt that made it can no longer settle: the
 * job is not `running` with that attempt (settles are fenced on exactly that), and for outputs,
 * the job's recorded outputs do not name the folder. The job is read after the folder was
 * listed, so a folder written and then settled is seen as referenced, never as an orphan.
 * Folders of jobs the database does not know are left alone: they may belong to another
 * database (a misconfigured process must not wipe a shared blob folder). Removals are
 * idempotent, so any number of processes on one data folder, SQLite or PostgreSQL, agree.
 *
 * Where the blob store has a local folder (BlobStoreCapabilities.localFolder) its folders are
 * listed and removed whole, half-written `.partial` files and emptied job folders included.
 * Elsewhere (object storage) the store's `list('outputs/')` is read job by job and an orphaned
 * folder's objects are deleted one by one; a multipart upload that a killed process never
 * finished is not an object at all, and is left to the bucket's lifecycle rule
 * (AbortIncompleteMultipartUpload, docs/operations.md).
 */
import { readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { BlobStore } from '../blobs/blob-store.ts';
import type { Context } from '../context.ts';
import { type JobAttemptState, type Store, TERMINAL_STATES } from '../store/store.ts';

const WORK_FOLDER = /^(.+)-(\d+)$/;
const OUTPUT_FOLDER = /^(\d+)-[0-9a-f]+$/;

export interface ReapResult {
  work: number;
  outputs: number;
}

/** The only attempt that may still write a job's result: its current one, while it runs. */
function maySettle(job: JobAttemptState, attempt: number): boolean {
  return job.state === 'running' && job.attempt === attempt;
}

async function folders(path: string): Promise<string[]> {
  try {
    return (await readdir(path, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

const remove = (path: string) => rm(path, { recursive: true, force: true, maxRetries: 2 });

export async function reapWorkFolders(store: Store, dataDir: string): Promise<number> {
  const root = join(dataDir, 'work');
  let removed = 0;
  for (const name of await folders(root)) {
    const match = WORK_FOLDER.exec(name);
    if (!match) continue;
    const job = await store.getJobAttemptState(match[1]!);
    if (!job || maySettle(job, Number(match[2]))) continue;
    await remove(join(root, name));
    removed++;
  }
  return removed;
}

/**
 * Which of a job's output folders (`<attempt>-<token>`, listed before the job was read) no
 * attempt can still settle into and no settled result names.
 */
function orphanedOutputFolders(job: JobAttemptState, names: Iterable<string>): string[] {
  // Keys are `outputs/<id>/<attempt>-<token>/<file>`: the third segment is the folder.
  const referenced = new Set((job.outputs ?? []).map((output) => output.key.split('/')[2]));
  return [...names].filter((name) => {
    const match = OUTPUT_FOLDER.exec(name);
    return match !== null && !referenced.has(name) && !maySettle(job, Number(match[1]));
  });
}

export async function reapOutputFolders(store: Store, blobsRoot: string): Promise<number> {
  const root = join(blobsRoot, 'outputs');
  let removed = 0;
  for (const id of await folders(root)) {
    const attempts = await folders(join(root, id));
    const job = await store.getJobAttemptState(id);
    if (!job) continue;
    for (const name of orphanedOutputFolders(job, attempts)) {
      await remove(join(root, id, name));
      removed++;
    }
    // A finished job's empty folder goes too; while it can still run, an attempt may be about
    // to write into it, so it stays.
    if (TERMINAL_STATES.has(job.state)) await rmdir(join(root, id)).catch(() => undefined);
  }
  return removed;
}

/**
 * The same judgement over a blob store's key listing. A job's keys arrive together (the listing
 * is grouped by folder), so each job is read once, after all its keys were listed, and only one
 * job's keys are held at a time.
 */
export async function reapOutputKeys(store: Store, blobs: BlobStore): Promise<number> {
  let removed = 0;
  let current: { id: string; folders: Map<string, string[]> } | undefined;
  const settle = async () => {
    if (!current) return;
    const job = await store.getJobAttemptState(current.id);
    if (!job) return;
    for (const name of orphanedOutputFolders(job, current.folders.keys())) {
      for (const key of current.folders.get(name)!) await blobs.delete(key);
      removed++;
    }
  };
  for await (const key of blobs.list('outputs/')) {
    const [, id, folder] = key.split('/');
    if (!id || !folder) continue;
    if (current?.id !== id) {
      await settle();
      current = { id, folders: new Map() };
    }
    const keys = current.folders.get(folder) ?? [];
    keys.push(key);
    current.folders.set(folder, keys);
  }
  await settle();
  return removed;
}

export async function reapOrphans(ctx: Pick<Context, 'store' | 'blobs' | 'config'>, scope: 'work' | 'all'): Promise<ReapResult> {
  const work = await reapWorkFolders(ctx.store, ctx.config.dataDir);
  const folder = ctx.blobs.capabilities.localFolder;
  const outputs = scope !== 'all' ? 0 : folder !== undefined ? await reapOutputFolders(ctx.store, folder) : await reapOutputKeys(ctx.store, ctx.blobs);
  return { work, outputs };
}

/**
 * Reaps everything at once (at process start), then scratch folders every `workIntervalMs`
 * (there are only ever a few: one per running attempt plus the orphans) and output folders every
 * `outputIntervalMs` (one database read per job that has outputs, so not every few seconds).
 */
export function startOrphanReaper(ctx: Pick<Context, 'store' | 'blobs' | 'config' | 'log'>, intervals: { workIntervalMs: number; outputIntervalMs: number }): () => void {
  const log: Logger = ctx.log.child({ component: 'orphan-reaper' });
  let running = false;
  const run = async (scope: 'work' | 'all') => {
    if (running) return;
    running = true;
    try {
      const removed = await reapOrphans(ctx, scope);
      if (removed.work + removed.outputs > 0) log.info(removed, 'folders of attempts that can no longer settle removed');
    } catch (error) {
      log.warn({ err: error }, 'removing orphaned attempt folders failed; retrying at the next interval');
    } finally {
      running = false;
    }
  };
  const timers = [setInterval(() => void run('work'), intervals.workIntervalMs), setInterval(() => void run('all'), intervals.outputIntervalMs)];
  for (const timer of timers) timer.unref();
  void run('all');
  return () => timers.forEach(clearInterval);
}
