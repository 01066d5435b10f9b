/**
 * An attempt's scratch folder, created on first use. Most attempts (no file inputs, an engine
 * that returns buffers) never need one, and a mkdir plus a recursive rm per attempt were most
 * of the worker's file-system calls for such a job.
 */
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';

export class WorkDir {
  private created = false;

  constructor(readonly path: string) {}

  /** The folder's path, creating it first if nothing has yet. Synchronous so a getter can use it. */
  ensure(): string {
    if (!this.created) {
      mkdirSync(this.path, { recursive: true });
      this.created = true;
    }
    return this.path;
  }

  /** Best effort: on a full disk even removing can fail, and the orphan reaper sweeps what is left. */
  async remove(): Promise<void> {
    if (this.created) await rm(this.path, { recursive: true, force: true }).catch(() => {});
  }
}
