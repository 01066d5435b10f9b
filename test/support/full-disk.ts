/**
 * A small filesystem that can be filled and freed on demand, for tests of what happens when the
 * disk is full: a tmpfs mounted on a temp folder (needs root, as on CI). `fill()` writes a filler
 * file until the filesystem refuses with ENOSPC; `free()` deletes it ("space returns").
 *
 *   const disk = await mountSmallDisk(8);
 *   if (typeof disk === 'string') return t.skip(disk);   // the reason it could not be mounted
 *   after(() => disk.unmount());
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SmallDisk {
  /** The mount point. */
  path: string;
  /** Fills every free byte; resolves with the bytes written. */
  fill(): Promise<number>;
  free(): Promise<void>;
  unmount(): void;
}

export async function mountSmallDisk(megabytes: number): Promise<SmallDisk | string> {
  const path = mkdtempSync(join(tmpdir(), 'modelgate-small-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m`, 'tmpfs', path], { stdio: 'pipe' });
  } catch (error) {
    rmSync(path, { recursive: true, force: true });
    return `cannot mount a tmpfs here (needs root): ${((error as { stderr?: Buffer }).stderr?.toString() || (error as Error).message).trim()}`;
  }
  const filler = join(path, 'filler');
  let mounted = true;
  return {
    path,
    async fill() {
      const file = await open(filler, 'a');
      const chunk = Buffer.alloc(64 * 1024, 1);
      let written = 0;
      try {
        for (let size = chunk.length; size >= 1; ) {
          try {
            written += (await file.write(chunk, 0, size)).bytesWritten;
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
            size = Math.floor(size / 2);
          }
        }
      } finally {
        await file.close();
      }
      return written;
    },
    free: () => rm(filler, { force: true }),
    unmount() {
      if (!mounted) return;
      mounted = false;
      execFileSync('umount', ['-l', path], { stdio: 'pipe' });
      rmSync(path, { recursive: true, force: true });
    },
  };
}
