/**
 * Is this error the machine's storage failing rather than the job or the code? A full disk, an
 * I/O error, a read-only remount, a database that is restarting or out of room: none of these
 * say anything about the job, and all of them usually pass. The worker requeues a job whose
 * attempt hit one (with a back-off), and the claim loop and sweeper slow down while they last.
 *
 * The tables below are the whole vocabulary: the errno codes of the local disk (work dir,
 * blobs), SQLite's result codes (better-sqlite3 puts them on `code`) and PostgreSQL's SQLSTATE
 * classes. An error is looked at with its `cause` chain, and, as a last resort, by the words a
 * child process (ffmpeg) prints for a full disk, since its exit code carries no errno. A write
 * to the Store that throws for any other reason (a connection refused while PostgreSQL
 * restarts) is wrapped by its caller in StorageFaultError: the Store's writes never fail
 * because of the job, so whatever they throw is the storage's doing.
 */

/**
 * A Store write failed, or the object storage (src/blobs/s3/) could not be reached; `cause` says
 * how, `what` which storage it was.
 */
export class StorageFaultError extends Error {
  constructor(cause: unknown, what = 'the job store could not be written') {
    super(`${what}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'StorageFaultError';
  }
}

/** Local filesystem: full, over quota, broken, read-only, file too large for the filesystem. */
const ERRNO_CODES = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'EFBIG']);

/** SQLite: disk full, any I/O error, locked past busy_timeout, file cannot be opened or written. */
const SQLITE_CODE = /^SQLITE_(FULL|IOERR|BUSY|LOCKED|CANTOPEN|READONLY|PROTOCOL)(_|$)/;

/**
 * PostgreSQL SQLSTATE: 08 connection exception, 53 insufficient resources (53100 disk full),
 * 57014 a statement cancelled (statement_timeout: locked or overloaded past
 * MODELGATE_DATABASE_TIMEOUT_MS), 57P01–57P03 the server is shutting down or starting, 58
 * system error (I/O), 25P03 a session ended for idling in a transaction (a frozen client).
 */
const PG_SQLSTATE = /^(08|53|57014|57P0[1-3]|58|25P03)/;

/** What ffmpeg and other child processes print when a write fails for lack of room. */
const FULL_DISK_WORDS = /No space left on device|Disk quota exceeded|database or disk is full/i;

function isFaultItself(error: unknown): boolean {
  if (error instanceof StorageFaultError) return true;
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (ERRNO_CODES.has(code) || SQLITE_CODE.test(code) || PG_SQLSTATE.test(code))) return true;
  return typeof message === 'string' && FULL_DISK_WORDS.test(message);
}

export function isStorageFault(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let current = error; current !== undefined && current !== null && !seen.has(current); current = (current as { cause?: unknown }).cause) {
    seen.add(current);
    if (isFaultItself(current)) return true;
  }
  return false;
}

/**
 * For a caller whose only connection is the database (the API process: it fetches no inputs and
 * calls no engine), a refused or dropped connection is the database going away. node-postgres
 * reports a dropped connection in words, without a code.
 */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH']);
// `Query read timeout`: pg's query_timeout, a connection that stopped answering (postgres-connection.ts, timeouts).
const PG_CONNECTION_WORDS = /^Connection terminated|timeout exceeded when trying to connect|^Query read timeout/;

export function isStoreUnreachable(error: unknown): boolean {
  if (isStorageFault(error)) return true;
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (typeof code === 'string' && CONNECTION_CODES.has(code)) || (typeof message === 'string' && PG_CONNECTION_WORDS.test(message));
}
