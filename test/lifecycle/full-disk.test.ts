/**
 * A full disk while jobs run (issue 11): the data folder (SQLite and blobs) sits on a small
 * tmpfs that the test fills while workers are mid-run and frees a few seconds later. Wanted:
 * no job fails for good (before, outputs that could not be written failed the job with
 * engine_error ENOSPC), no job is run while its claim cannot be saved, the error log stays a few
 * lines long, and once space returns every acknowledged job completes. Two shapes of full disk:
 * SQLite's WAL still has room from earlier writes (so the database takes writes and only output
 * files fail: the case that failed jobs for good with engine_error ENOSPC), and it has none (so
 * claims, settles and sweeps fail too).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import BetterSqlite3 from 'better-sqlite3';
import { after, test } from 'node:test';
import { buildApp } from '../../src/api/app.ts';
import { createApiKey } from '../../src/auth/api-keys.ts';
import { createContext } from '../../src/context.ts';
import { JobService } from '../../src/jobs/job-service.ts';
import { createLogger } from '../../src/logger.ts';
import { WorkerPool } from '../../src/worker/worker-pool.ts';
import { startSweeper } from '../../src/worker/sweeper.ts';
import { mountSmallDisk } from '../support/full-disk.ts';
import { testConfig, waitFor } from '../support/harness.ts';
import { MODEL_IDS } from '../support/models.ts';
import { createTestEngine } from '../support/test-engine.ts';

const JOBS = 6;
const FULL_FOR_MS = 3_000;

/**
 * Leaves `bytes` of reusable room in the WAL: written, checkpointed, and so reused from its start
 * by the next write instead of growing the file.
 */
function reserveWalRoom(dataDir: string, bytes: number): void {
  const db = new BetterSqlite3(join(dataDir, 'modelgate.db'));
  db.exec('CREATE TABLE wal_padding (data BLOB)');
  db.prepare('INSERT INTO wal_padding VALUES (?)').run(Buffer.alloc(bytes));
  db.exec('DROP TABLE wal_padding');
  db.pragma('wal_checkpoint(RESTART)');
  db.close();
}

for (const walRoom of [true, false]) {
  const shape = walRoom ? 'the database still takes writes, output files do not' : 'nothing takes writes';
  test(`disk full (${shape}): running jobs are requeued, not failed, and all complete once space returns`, { timeout: 60_000 }, async (t) => {
  const disk = await mountSmallDisk(16);
  if (typeof disk === 'string') return t.skip(disk);
  after(() => disk.unmount());

  const lines: Array<{ level: number; msg: string; suppressed?: number }> = [];
  const sink = new Writable({ write(chunk: Buffer, _encoding, done) { for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line)); done(); } });
  const config = testConfig(disk.path, { MODELGATE_LEASE_MS: '1500', MODELGATE_SWEEP_INTERVAL_MS: '200', MODELGATE_FAULT_BACKOFF_MS: '100', MODELGATE_MAX_ATTEMPTS: '3' });
  const engine = createTestEngine('builtin');
  const ctx = await createContext(config, { log: createLogger('warn', sink), engines: { builtin: engine, onnx: engine } });
  const stopSweeper = startSweeper(ctx);
  const pool = new WorkerPool(ctx, { concurrency: 2, shutdownGraceMs: 100 });
  let app: Awaited<ReturnType<typeof buildApp>> | undefined;
  try {
    const { key, record } = await createApiKey(ctx.store, 'full-disk');
    app = await buildApp(ctx);
    const jobs = new JobService(ctx);
    const ids: string[] = [];
    for (let i = 0; i < JOBS; i++) ids.push((await jobs.submit(record.id, MODEL_IDS.dreamina, { prompt: `sleep=400 job ${i}` })).request_id);
    if (walRoom) reserveWalRoom(disk.path, 2 * 1024 * 1024);
    pool.start();
    await waitFor(() => jobs.status(record.id, ids[0]!), (s) => s.status === 'in_progress');

    const filled = await disk.fill();
    t.diagnostic(`filled ${filled} bytes; disk full for ${FULL_FOR_MS} ms`);
    // A submit during the outage is either saved (and then must complete) or refused: never
    // acknowledged without its commit.
    const during = await app.inject({ method: 'POST', url: `/v1/models/${MODEL_IDS.dreamina}`, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, payload: { prompt: 'submitted while the disk is full' } });
    if (during.statusCode === 200) ids.push(during.json().request_id);
    if (walRoom) assert.equal(during.statusCode, 200, `the database had room, yet the submit failed: ${during.body}`);
    else {
      assert.deepEqual([during.statusCode, during.json().error_code, during.headers['retry-after']], [503, 503002, '5'], 'with no room anywhere, the submit is refused as a storage fault');
      assert.ok(!during.body.includes('SQLITE'), 'no internals in the answer');
    }
    await new Promise((resolve) => setTimeout(resolve, FULL_FOR_MS));
    const duringOutage = await Promise.all(ids.map((id) => jobs.result(record.id, id)));
    assert.deepEqual(duringOutage.filter((r) => r.status === 'failed'), [], 'no job failed for good while the disk was full');
    await disk.free();

    const results = await waitFor(
      () => Promise.all(ids.map((id) => jobs.result(record.id, id))),
      (all) => all.every((r) => r.status === 'succeeded' || r.status === 'failed'),
      30_000,
      100,
    );
    assert.deepEqual(results.map((r) => r.status), ids.map(() => 'succeeded'), JSON.stringify(results.filter((r) => r.status !== 'succeeded')));

    const errors = lines.filter((line) => line.level >= 40);
    t.diagnostic(`warn/error lines: ${errors.length}: ${[...new Set(errors.map((line) => line.msg))].join(' | ')}`);
    assert.ok(errors.some((line) => /storage|claims pause|refuses writes/.test(line.msg)), 'the fault is logged');
    assert.ok(errors.length <= 20, `the log stays short while storage fails (${errors.length} lines)`);
  } finally {
    await app?.close();
    await pool.stop();
    stopSweeper();
    await ctx.close();
  }
  });
}
