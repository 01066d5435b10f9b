/** The pieces that decide how a storage fault is handled: what counts as one, back-off, throttled logs. */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { EngineError } from '../../src/engines/engine.ts';
import { createLogger } from '../../src/logger.ts';
import { isStorageFault, isStoreUnreachable, StorageFaultError } from '../../src/store/storage-fault.ts';
import { ThrottledLog } from '../../src/throttled-log.ts';
import { Backoff, backoffDelay } from '../../src/worker/backoff.ts';
import { StoragePause } from '../../src/worker/storage-pause.ts';

const coded = (code: string, message = 'x') => Object.assign(new Error(message), { code });

test('storage faults: disk, SQLite and PostgreSQL codes, through causes, and ffmpeg\'s words; nothing else', () => {
  for (const fault of [
    coded('ENOSPC'), coded('EDQUOT'), coded('EIO'), coded('EROFS'),
    coded('SQLITE_FULL'), coded('SQLITE_IOERR_WRITE'), coded('SQLITE_BUSY'), coded('SQLITE_READONLY_DBMOVED'),
    coded('53100'), coded('57P01'), coded('08006'), coded('58030'),
    new Error('wrapped', { cause: coded('ENOSPC') }),
    new EngineError('encoder_failed', 'ffmpeg exited with code 1 while encoding the video: av_interleaved_write_frame(): No space left on device'),
    new StorageFaultError(new Error('connect ECONNREFUSED 127.0.0.1:5432')),
  ]) assert.equal(isStorageFault(fault), true, String((fault as { code?: string }).code ?? fault.message));
  for (const other of [
    new Error('the engine crashed'), coded('ENOENT'), coded('ECONNREFUSED'), coded('SQLITE_CONSTRAINT_UNIQUE'), coded('23505'), coded('22P02'),
    new EngineError('test_failure', 'asked to fail'), 'ENOSPC', undefined, null,
  ]) assert.equal(isStorageFault(other), false, String(other));
});

test('for the API, whose only connection is the database, a refused or dropped connection is the store unreachable too', () => {
  for (const gone of [coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'), new Error('Connection terminated unexpectedly'), new Error('timeout exceeded when trying to connect'), coded('SQLITE_FULL')]) {
    assert.equal(isStoreUnreachable(gone), true, gone.message);
  }
  assert.equal(isStorageFault(coded('ECONNREFUSED')), false, 'not in the worker, where an engine\'s server may refuse');
  assert.equal(isStoreUnreachable(new TypeError('x is not a function')), false);
});

test('back-off doubles from the base per fault in a row, with ±20 % jitter, up to the cap; a success resets it', () => {
  assert.deepEqual([1, 2, 3, 4].map((n) => backoffDelay(n, 100, 60_000, () => 0.5)), [100, 200, 400, 800]);
  assert.equal(backoffDelay(40, 100, 60_000, () => 0.5), 60_000);
  assert.equal(backoffDelay(1, 1000, 60_000, () => 0), 800);
  assert.equal(backoffDelay(1, 1000, 60_000, () => 1), 1200);
  const backoff = new Backoff(1000);
  assert.equal(backoff.failing, false);
  assert.equal(backoff.remaining(0), 0);
  const wait = backoff.fault(0);
  assert.ok(wait >= 800 && wait <= 1200 && backoff.remaining(0) === wait && backoff.failing);
  assert.ok(backoff.fault(0) >= 1600, 'the second fault in a row waits about twice as long');
  backoff.succeed();
  assert.deepEqual([backoff.failing, backoff.remaining(0)], [false, 0]);
});

test('throttled log: the first line of a kind at once, then one per window carrying the count it stands for', () => {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({ write(chunk: Buffer, _e, done) { lines.push(JSON.parse(chunk.toString('utf8'))); done(); } });
  let now = 0;
  const log = new ThrottledLog(createLogger('info', sink), 30_000, () => now);
  for (let i = 0; i < 100; i++) log.write('error', 'claim', { i }, 'claim failed');
  log.write('warn', 'sweep', {}, 'sweep failed');
  now = 30_000;
  log.write('error', 'claim', { i: 100 }, 'claim failed');
  log.reset('sweep');
  log.write('warn', 'sweep', {}, 'sweep failed');
  assert.deepEqual(lines.map((l) => [l.msg, l.i, l.suppressed]), [
    ['claim failed', 0, undefined],
    ['sweep failed', undefined, undefined],
    ['claim failed (99 more like it since the last line)', 100, 99],
    ['sweep failed', undefined, undefined],
  ]);
});

test('storage pause: faults lengthen it and are logged throttled; recovery ends it, is logged once, and un-throttles every kind seen', () => {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({ write(chunk: Buffer, _e, done) { lines.push(JSON.parse(chunk.toString('utf8'))); done(); } });
  const log = createLogger('info', sink);
  const pause = new StoragePause(new ThrottledLog(log), log, 1000, 'claiming resumed');
  pause.recovered();
  assert.equal(lines.length, 0, 'nothing to end');
  pause.fault('claim', { n: 1 }, 'claim failed');
  pause.fault('probe', { n: 2 }, 'probe failed');
  pause.fault('probe', { n: 3 }, 'probe failed');
  pause.extend();
  assert.ok(pause.failing && pause.remaining(Date.now()) >= 6400, 'four faults in a row: the fourth wait, about 8 s');
  assert.deepEqual(lines.map((l) => [l.msg, l.n, typeof l.retry_in_ms]), [['claim failed', 1, 'number'], ['probe failed', 2, 'number']]);
  pause.recovered();
  assert.deepEqual([pause.failing, pause.remaining(Date.now()), lines.at(-1)?.msg], [false, 0, 'claiming resumed']);
  pause.fault('probe', { n: 4 }, 'probe failed');
  assert.equal(lines.at(-1)?.n, 4, 'a new run of faults is logged at once, the probe kind included');
});
