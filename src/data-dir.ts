/**
 * The data folder (MODELGATE_DATA_DIR) must exist and take writes before anything uses it: the
 * database, blobs and scratch space all live there, and the errors they would give later
 * ("unable to open database file", a bare EEXIST) name neither the folder nor the setting.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StartupError } from './config-error.ts';

/** The operating system's reasons, in words an operator can act on. */
const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EEXIST: 'a file, not a folder, is at that path',
  ENOTDIR: 'a part of that path is a file, not a folder',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
};

export function dataDirError(path: string, error: unknown): StartupError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason = code ? `${code}, ${REASONS[code] ?? (error as Error).message}` : String((error as Error).message ?? error);
  return new StartupError(`cannot use the data folder ${path} (MODELGATE_DATA_DIR): ${reason}`);
}

/** Creates the folder if needed and proves it takes a write (a small file, removed at once). */
export function ensureDataDir(path: string): void {
  try {
    mkdirSync(path, { recursive: true });
    const probe = join(path, `.write-check-${process.pid}-${randomBytes(4).toString('hex')}`);
    writeFileSync(probe, 'ok');
    rmSync(probe, { force: true });
  } catch (error) {
    throw dataDirError(path, error);
  }
}
