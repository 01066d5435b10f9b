/**
 * SQLite on a full disk: a write whose commit fails must throw, never report success. The claim
 * is an UPDATE … RETURNING; read with .get() it handed back the claimed row although the commit
 * failed, so a worker ran a job whose claim was never saved (issue 11: one job "claimed" 254
 * times in 100 s). Runs on a real full filesystem (a small tmpfs).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { isStorageFault } from '../../src/store/storage-fault.ts';
import { mountSmallDisk, type SmallDisk } from '../support/full-disk.ts';
import { newJob, OWNER, T0 } from './suite/support.ts';

let disk: SmallDisk | string;
before(async () => {
  disk = await mountSmallDisk(4);
});
after(() => {
  if (typeof disk !== 'string') disk.unmount();
});

/** Empties the WAL, so the next commit has to grow it: on a full disk, that is what fails. */
function truncateWal(path: string): void {
  const db = new BetterSqlite3(path);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

test('with the disk full, a claim whose commit fails throws and leaves the job queued; once space returns it is claimed', async (t) => {
  if (typeof disk === 'string') return t.skip(disk);
  const path = join(disk.path, 'modelgate.db');
  const store = await SqliteStore.open({ path, synchronous: 'FULL' });
  try {
    const job = newJob();
    await store.insertJob(job);
    truncateWal(path);
    await disk.fill();

    const claim = store.claimNext('worker', 1_000, T0);
    await assert.rejects(claim, (error: unknown) => isStorageFault(error), 'the failed commit is reported, as a storage fault');
    const seen = await store.getJob(job.id, OWNER);
    assert.deepEqual([seen?.state, seen?.attempt], ['queued', 0], 'the claim was not saved and says so');

    await disk.free();
    assert.equal((await store.claimNext('worker', 1_000, T0))?.attempt, 1, 'claimed once space returns');
  } finally {
    await store.close();
  }
});

test('with the disk full, a retry whose commit fails throws and leaves the attempt in place', async (t) => {
  if (typeof disk === 'string') return t.skip(disk);
  const path = join(disk.path, 'retry.db');
  const store = await SqliteStore.open({ path, synchronous: 'FULL' });
  try {
    const job = newJob();
    await store.insertJob(job);
    await store.claimNext('worker', 1_000, T0);
    truncateWal(path);
    await disk.fill();

    await assert.rejects(store.retry(job.id, 1, { type: 'storage_unavailable', message: 'disk full' }, T0 + 1, T0 + 1_000), (error: unknown) => isStorageFault(error));
    await disk.free();
    const seen = await store.getJob(job.id, OWNER);
    assert.deepEqual([seen?.state, seen?.attempt, seen?.lostLeases], ['running', 1, 0], 'nothing was requeued behind the failed commit');
  } finally {
    await store.close();
  }
});
