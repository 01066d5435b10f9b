/**
 * The fault battery (issue 11): real `modelgate serve` / `modelgate worker` children on loopback,
 * faults injected while jobs are submitted and run, then a recovery period with no fault, then a
 * count of what became of every acknowledged submit. The bar for every row: 0 lost, 0 stuck.
 *
 *   node --import tsx bench/faults.ts [--rows 1,2,3,4,5,6] [--jobs N] [--quick]
 *
 * Rows:
 *   1 kill -9 of `serve` mid submit burst (SQLite, in-process workers), restart on the same data dir
 *   2 kill -9 of one of two external workers every 1–2 s, each restarted at once (SQLite)
 *   3 the same on PostgreSQL (a fresh database on 127.0.0.1:5432, dropped afterwards)
 *   4 the data dir on a small tmpfs, filled up (ENOSPC) while jobs run, then space returns (SQLite)
 *   5 a private PostgreSQL cluster restarted (`-m fast`) and stopped (`-m immediate`) + started while workers claim
 *   6 row 2's kills on the scale-out topology (issue 13): serve and workers on data folders of their own, sharing only
 *     a private PostgreSQL cluster and an S3 bucket (s3rver in the bench); each killed worker is replaced by a new
 *     process on a fresh data folder, as a lost machine would be
 *
 * Every process runs the fault engine (bench/lib/fault-engine.ts: the test engine double plus a
 * start/done event log), so executions can be counted across processes. Exits 1 when any row
 * has lost > 0 or stuck > 0 (or could not run), 0 otherwise; a skipped row does not fail the run.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { type Install, Processes } from '../test/support/processes.ts';
import { startS3Bucket } from '../test/support/s3-bucket.ts';
import { parseEngineEvents } from './lib/fault-engine.ts';
import {
  type FinalAnswer, freshDatabase, KEY, onExit, pgQuery, PrivateCluster, SERVING, SHARED_PG, sleep, SmallDisk, spawnServe, spawnWorker, submitSpread, Supervised, Tracker, useFaultEngine,
} from './lib/fault-kit.ts';
import { freePort, ROOT } from './lib/servers.ts';

// ---------------------------------------------------------------------------------------------
// Flags

const argv = process.argv.slice(2);
const flag = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const QUICK = argv.includes('--quick');
const JOBS = Number(flag('--jobs') ?? (QUICK ? 40 : 150));
const ROWS = (flag('--rows') ?? '1,2,3,4,5,6').split(',').flatMap((part) => {
  const [a, b] = part.split('-').map(Number);
  return b ? Array.from({ length: b - a! + 1 }, (_, i) => a! + i) : [a!];
});
if (!Number.isInteger(JOBS) || JOBS < 1 || ROWS.some((r) => !(r >= 1 && r <= 6))) {
  process.stderr.write('usage: node --import tsx bench/faults.ts [--rows 1,2,3,4,5,6] [--jobs N] [--quick]\n');
  process.exit(2);
}

/** Timings shared by every row (short, so recovery is quick). */
const LEASE_MS = 2_000;
const SWEEP_MS = 500;
const POLL_MS = 100;
const MAX_ATTEMPTS = 50;
/** How long each job runs in the engine: short for the submit burst, longer where faults should hit running jobs. */
const RUN_MS = { burst: 200, workers: 500, disk: 300 } as const;
const BASE_ENV = {
  MODELGATE_LEASE_MS: String(LEASE_MS),
  MODELGATE_SWEEP_INTERVAL_MS: String(SWEEP_MS),
  MODELGATE_POLL_INTERVAL_MS: String(POLL_MS),
  MODELGATE_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
  MODELGATE_SHUTDOWN_GRACE_MS: '1000',
  MODELGATE_LOG_LEVEL: 'warn',
};

// ---------------------------------------------------------------------------------------------
// What a row reports

interface RowResult {
  row: number;
  scenario: string;
  backend: string;
  skipped?: string;
  error?: string;
  acknowledged: number;
  completed: number;
  failed: Map<string, number>;
  lost: number;
  duplicated: number;
  stuck: number;
  reruns: { jobs: number; extra: number; doubleDone: number };
  drainMs: number | undefined;
  deadlineMs: number;
  faults: string;
  crashes: string[];
  notes: string[];
}

interface StoredRow {
  id: string;
  input: string;
}

interface RowRun {
  row: number;
  scenario: string;
  backend: string;
  faults: string;
  tracker: Tracker;
  eventsFile: string;
  faultEndedAt: number;
  parallel: number;
  runMs: number;
  /** Every supervised process, for the crash list and the final stop. */
  roles: Supervised[];
  readRows: () => Promise<StoredRow[]>;
  notes: string[];
}

function emptyResult(row: number, scenario: string, backend: string): RowResult {
  return { row, scenario, backend, acknowledged: 0, completed: 0, failed: new Map(), lost: 0, duplicated: 0, stuck: 0, reruns: { jobs: 0, extra: 0, doubleDone: 0 }, drainMs: undefined, deadlineMs: 0, faults: '', crashes: [], notes: [] };
}

/**
 * Recovery and the count: wait (no fault) until every acknowledged job was seen terminal or the
 * deadline passes, read every final answer, stop the processes, then compare with the rows in
 * the database and the engine's event log.
 */
async function settle(run: RowRun): Promise<RowResult> {
  const { tracker } = run;
  const result = emptyResult(run.row, run.scenario, run.backend);
  result.faults = run.faults;
  result.notes.push(...run.notes);
  const pendingAtEnd = tracker.pending().length;
  const deadlineMs = 2 * LEASE_MS + SWEEP_MS + Math.ceil(pendingAtEnd / run.parallel) * run.runMs * 2 + 15_000;
  result.deadlineMs = deadlineMs;
  const lastTerminal = await tracker.drain(run.faultEndedAt + deadlineMs);
  result.drainMs = lastTerminal === undefined ? undefined : Math.max(0, lastTerminal - run.faultEndedAt);
  const finals = await tracker.finalAnswers();

  for (const role of run.roles) await role.stop();
  for (const role of run.roles) result.crashes.push(...role.crashes);

  let stored: StoredRow[] = [];
  try {
    stored = await run.readRows();
  } catch (error) {
    result.notes.push(`could not read the job rows: ${(error as Error).message}`);
  }
  const events = parseEngineEvents(readFileSync(run.eventsFile, 'utf8'));
  return count(result, tracker, finals, stored, events);
}

function count(result: RowResult, tracker: Tracker, finals: Map<string, FinalAnswer>, stored: StoredRow[], events: ReturnType<typeof parseEngineEvents>): RowResult {
  const dup = { twoJobs: 0, changed: 0, sameAttempt: 0, afterTerminal: 0 };
  const unreachable: string[] = [];
  let phantom = 0;
  const examples: string[] = [];

  // Rows per submit tag (the prompt is "sleep=MS <tag>").
  const rowsPerTag = new Map<string, number>();
  for (const row of stored) {
    let prompt = '';
    try {
      prompt = String((JSON.parse(row.input) as { prompt?: unknown }).prompt ?? '');
    } catch {
      // not ours
    }
    const tag = prompt.split(' ')[1];
    if (tag) rowsPerTag.set(tag, (rowsPerTag.get(tag) ?? 0) + 1);
  }
  const ackedTags = new Set([...tracker.acked.values()].map((a) => a.tag));
  const recovered = [...rowsPerTag.keys()].filter((tag) => !ackedTags.has(tag)).length;

  result.acknowledged = tracker.acked.size;
  for (const [id, { tag }] of tracker.acked) {
    const final = finals.get(id)!;
    const first = tracker.firstTerminal.get(id);
    if (final.http === 404) result.lost++;
    else if (final.http === 'unreachable') {
      result.stuck++;
      unreachable.push(id);
    } else if (final.http !== 200) result.stuck++;
    else if (final.status === 'succeeded') result.completed++;
    else if (final.status === 'failed') result.failed.set(final.errorType ?? '?', (result.failed.get(final.errorType ?? '?') ?? 0) + 1);
    else if (final.status === 'cancelled') result.failed.set('cancelled (never asked)', (result.failed.get('cancelled (never asked)') ?? 0) + 1);
    else result.stuck++;

    if (first && final.http === 200 && (first.status !== final.status || first.detail !== final.detail)) dup.changed++;
    if (stored.length > 0 && (rowsPerTag.get(tag) ?? 0) > 1) dup.twoJobs++;

    const runs = events.get(id) ?? [];
    const starts = runs.filter((e) => e.kind === 'start');
    const attempts = starts.map((e) => e.attempt);
    if (new Set(attempts).size !== attempts.length) {
      dup.sameAttempt++;
      if (examples.length < 3) examples.push(`${id} ran attempts [${attempts.join(',')}] (${runs.filter((e) => e.kind === 'done').length} returned), final ${final.status ?? final.http}`);
    }
    if (first && starts.some((e) => e.at > first.at)) dup.afterTerminal++;
    if (starts.length > 1) {
      result.reruns.jobs++;
      result.reruns.extra += starts.length - 1;
    }
    if (new Set(runs.filter((e) => e.kind === 'done').map((e) => e.attempt)).size > 1) result.reruns.doubleDone++;
    // The winning attempt, from its output URL (outputs/<id>/<attempt>-<token>/…), must have run to "done".
    if (final.status === 'succeeded') {
      const attempt = /outputs\/[^/]+\/(\d+)-/.exec(final.detail ?? '')?.[1];
      if (attempt && !runs.some((e) => e.kind === 'done' && e.attempt === Number(attempt))) phantom++;
    }
  }
  const duplicatedIds = new Set<string>();
  // A job counts once in `duplicated` however many of the four signs it shows.
  for (const [id, { tag }] of tracker.acked) {
    const final = finals.get(id)!;
    const first = tracker.firstTerminal.get(id);
    const runs = events.get(id) ?? [];
    const starts = runs.filter((e) => e.kind === 'start');
    if ((first && final.http === 200 && (first.status !== final.status || first.detail !== final.detail))
      || (stored.length > 0 && (rowsPerTag.get(tag) ?? 0) > 1)
      || new Set(starts.map((e) => e.attempt)).size !== starts.length
      || (first && starts.some((e) => e.at > first.at))) duplicatedIds.add(id);
  }
  result.duplicated = duplicatedIds.size;
  if (result.duplicated > 0) {
    result.notes.push(`duplicated: ${dup.twoJobs} submits made two job rows, ${dup.changed} results changed after first seen terminal, ` +
      `${dup.sameAttempt} jobs ran the same attempt number twice, ${dup.afterTerminal} jobs ran again after being seen terminal${examples.length ? `; e.g. ${examples.join('; ')}` : ''}`);
  }
  if (phantom > 0) result.notes.push(`${phantom} succeeded jobs carry outputs of an attempt that never returned from the engine`);
  if (unreachable.length > 0) result.notes.push(`${unreachable.length} jobs could not be asked about at the end (server unreachable): counted stuck`);
  result.notes.push(`submits: ${tracker.attempted} attempted, ${result.acknowledged} acknowledged, ${tracker.refused} not acknowledged (${[...tracker.refusals].map(([why, n]) => `${why} ×${n}`).join(', ') || '-'}), ` +
    `${recovered} committed without an acknowledgement (jobs the client never heard of; they run too)`);
  return result;
}

// ---------------------------------------------------------------------------------------------
// The rows

async function withProcs<T>(body: (procs: Processes) => Promise<T>): Promise<T> {
  const procs = new Processes();
  try {
    return await body(procs);
  } finally {
    await procs.cleanup();
  }
}

async function startServe(procs: Processes, install: Install, env: Record<string, string>, restartOnCrash = true): Promise<{ role: Supervised; url: string; key: string; port: number }> {
  const port = await freePort();
  const role = new Supervised('serve', spawnServe(procs, install, port, env), restartOnCrash);
  const child = role.start();
  const [, url] = await child.waitFor(SERVING, 60_000);
  // The first start prints the key (on stderr now; on stdout in older checkouts).
  const key = KEY.exec(child.stderr)?.[1] ?? KEY.exec(child.stdout)?.[1];
  if (!key) throw new Error(`serve printed no key\n${child.describe()}`);
  return { role, url: url!, key, port };
}

/** The API-only server plus two 4-slot worker processes of rows 2, 3 and 5, claiming, and a tracker polling the server. */
async function startFleet(procs: Processes, install: Install) {
  const serve = await startServe(procs, install, { MODELGATE_WORKERS: '0' });
  const workers = [1, 2].map((n) => new Supervised(`worker ${n}`, spawnWorker(procs, install, { MODELGATE_WORKERS: '4', MODELGATE_LOG_LEVEL: 'info' }, `worker ${n}`)));
  await Promise.all(workers.map((w) => w.start().waitFor(/worker started/, 60_000)));
  const tracker = new Tracker(() => ({ url: serve.url, key: serve.key }));
  tracker.startPolling();
  return { serve, workers, tracker };
}

function sqliteRows(install: Install): () => Promise<StoredRow[]> {
  return async () => {
    const db = new BetterSqlite3(join(install.dataDir, 'modelgate.db'), { readonly: true, fileMustExist: true });
    try {
      return db.prepare('SELECT id, input FROM jobs').all() as StoredRow[];
    } finally {
      db.close();
    }
  };
}

function countEvents(file: string, kind: 'start' | 'done', since: number): number {
  let n = 0;
  for (const events of parseEngineEvents(readFileSync(file, 'utf8')).values()) n += events.filter((e) => e.kind === kind && e.at >= since).length;
  return n;
}

const pgRows = (url: string) => () => pgQuery<StoredRow>(url, 'SELECT id, input FROM jobs');

/** Row 1: kill -9 of serve while N submitters have requests in flight; restart on the same data dir. */
async function row1(): Promise<RowResult> {
  return withProcs(async (procs) => {
    const install = procs.install(BASE_ENV);
    const eventsFile = useFaultEngine(install);
    const env = { MODELGATE_WORKERS: '2' };
    const serve = await startServe(procs, install, env, false);
    let url = serve.url;
    const tracker = new Tracker(() => ({ url, key: serve.key }));
    tracker.startPolling();
    const cycles = QUICK ? 1 : 3;
    const perCycle = Math.ceil(JOBS / cycles);
    for (let cycle = 0; cycle < cycles; cycle++) {
      if (cycle > 0) {
        const child = serve.role.start();
        url = (await child.waitFor(SERVING, 60_000))[1]!;
      }
      // Kill once a random share (50–100 %) of this cycle's quota is acknowledged: submits are in flight then.
      const killAfter = tracker.acked.size + Math.max(1, Math.floor(perCycle * (0.5 + Math.random() * 0.5)));
      let killed = false;
      tracker.onAck = () => {
        if (!killed && tracker.acked.size >= killAfter) {
          killed = true;
          void serve.role.kill9();
        }
      };
      await submitSpread(tracker, { count: perCycle * 4, concurrency: 16, spreadMs: 0, runMs: RUN_MS.burst, label: 'r1', stop: () => killed });
      tracker.onAck = undefined;
      if (!killed) await serve.role.kill9();
      await serve.role.child!.exited;
    }
    const child = serve.role.start();
    url = (await child.waitFor(SERVING, 60_000))[1]!;
    return settle({
      row: 1, scenario: 'kill -9 of serve mid submit burst, restart', backend: 'SQLite', faults: `${serve.role.kills} serve SIGKILLs (16 submitters in flight)`,
      tracker, eventsFile, faultEndedAt: Date.now(), parallel: 2, runMs: RUN_MS.burst, roles: [serve.role], readRows: sqliteRows(install), notes: [],
    });
  });
}

/** Submits the row's jobs while killing one worker -9 every 1–2 s and starting it again at once (rows 2, 3 and 6); what was done. */
async function killWorkersWhileSubmitting(workers: Supervised[], tracker: Tracker, row: number): Promise<string> {
  const faultMs = QUICK ? 10_000 : 24_000;
  const t0 = Date.now();
  const submitting = submitSpread(tracker, { count: JOBS, concurrency: 4, spreadMs: faultMs * 0.8, runMs: RUN_MS.workers, label: `r${row}` });
  while (Date.now() - t0 < faultMs) {
    await sleep(1_000 + Math.random() * 1_000);
    const victim = workers[Math.floor(Math.random() * workers.length)]!;
    await victim.kill9();
    victim.start();
  }
  await submitting;
  const kills = workers.reduce((n, w) => n + w.kills, 0);
  return `${kills} worker SIGKILLs in ${Math.round((Date.now() - t0) / 1000)} s`;
}

/** Rows 2 and 3: serve (API only) + 2 worker processes, one killed -9 every 1–2 s and restarted at once. */
async function workerKills(row: number, backend: 'SQLite' | 'PostgreSQL'): Promise<RowResult> {
  const db = backend === 'PostgreSQL' ? await freshDatabase() : undefined;
  try {
    return await withProcs(async (procs) => {
      const install = procs.install({ ...BASE_ENV, ...(db ? { MODELGATE_DATABASE_URL: db.url } : {}) });
      const eventsFile = useFaultEngine(install);
      const { serve, workers, tracker } = await startFleet(procs, install);
      const faults = await killWorkersWhileSubmitting(workers, tracker, row);
      return settle({
        row, scenario: 'kill -9 of a worker every 1–2 s, restarted', backend, faults,
        tracker, eventsFile, faultEndedAt: Date.now(), parallel: 8, runMs: RUN_MS.workers, roles: [...workers, serve.role], readRows: db ? pgRows(db.url) : sqliteRows(install), notes: [],
      });
    });
  } finally {
    await db?.drop();
  }
}

/** Row 4: the data dir on a small tmpfs, filled to ENOSPC while jobs run, then space returns. */
async function row4(): Promise<RowResult> {
  return withProcs(async (procs) => {
    const install = procs.install(BASE_ENV);
    const eventsFile = useFaultEngine(install);
    const disk = new SmallDisk(install.dataDir, 32);
    const refused = disk.mount();
    if (refused) {
      const result = emptyResult(4, 'full disk (ENOSPC) while jobs run, then space returns', 'SQLite');
      result.skipped = `skipped: mount not permitted (${refused})`;
      return result;
    }
    try {
      const serve = await startServe(procs, install, { MODELGATE_WORKERS: '2' });
      const tracker = new Tracker(() => ({ url: serve.url, key: serve.key }));
      tracker.startPolling();
      const fullMs = QUICK ? 4_000 : 6_000;
      const t0 = Date.now();
      // A backlog first (half the jobs, as fast as they are taken), so that the in-process workers
      // claim, run, store outputs and settle all through the time the disk is full.
      const backlog = Math.ceil(JOBS / 2);
      await submitSpread(tracker, { count: backlog, concurrency: 8, spreadMs: 0, runMs: RUN_MS.disk, label: 'r4' });
      const filled = disk.fill();
      const freeWhenFull = disk.freeBytes();
      const fullAt = Date.now();
      const pendingWhenFull = tracker.pending().length;
      // Submits keep coming while the disk is full (a quarter of the jobs) and after space returns (the rest).
      const during = Math.ceil(JOBS / 4);
      await submitSpread(tracker, { count: during, concurrency: 2, spreadMs: fullMs, runMs: RUN_MS.disk, label: 'r4' });
      await sleep(Math.max(0, fullAt + fullMs - Date.now()));
      const acknowledgedWhileFull = tracker.acked.size - backlog;
      const startedWhileFull = countEvents(eventsFile, 'start', fullAt);
      const doneWhileFull = countEvents(eventsFile, 'done', fullAt);
      disk.free();
      const freedAt = Date.now();
      await submitSpread(tracker, { count: Math.max(0, JOBS - backlog - during), concurrency: 2, spreadMs: 2_000, runMs: RUN_MS.disk, label: 'r4' });
      return await settle({
        row: 4, scenario: 'full disk (ENOSPC) while jobs run, then space returns', backend: 'SQLite',
        faults: `tmpfs 32 MB filled (+${Math.round(filled / 1024 / 1024)} MB, ${freeWhenFull} B free) for ${fullMs / 1000} s`,
        tracker, eventsFile, faultEndedAt: freedAt, parallel: 2, runMs: RUN_MS.disk, roles: [serve.role], readRows: sqliteRows(install),
        notes: [
          `${backlog} submitted as a backlog before the fill (${pendingWhenFull} not yet terminal when the disk became full, ${Math.round((fullAt - t0) / 100) / 10} s in)`,
          `while full: ${acknowledgedWhileFull}/${during} submits acknowledged, ${startedWhileFull} engine runs started, ${doneWhileFull} returned`,
        ],
      });
    } finally {
      disk.unmount();
    }
  });
}

/** Row 5: a private PostgreSQL cluster restarted (fast) and stopped (immediate) + started while workers claim. */
async function row5(): Promise<RowResult> {
  const cluster = new PrivateCluster(await freePort());
  try {
    await cluster.init();
    await cluster.start();
    return await withProcs(async (procs) => {
      const install = procs.install({ ...BASE_ENV, MODELGATE_DATABASE_URL: cluster.url });
      const eventsFile = useFaultEngine(install);
      const { serve, workers, tracker } = await startFleet(procs, install);
      const faultMs = QUICK ? 12_000 : 24_000;
      const downMs = QUICK ? 2_000 : 3_000;
      const t0 = Date.now();
      const submitting = submitSpread(tracker, { count: JOBS, concurrency: 4, spreadMs: faultMs * 0.8, runMs: RUN_MS.workers, label: 'r5' });
      const at = (share: number) => sleep(Math.max(0, t0 + faultMs * share - Date.now()));
      const done: string[] = [];
      const schedule: Array<[number, 'fast' | 'immediate']> = QUICK ? [[0.25, 'fast'], [0.55, 'immediate']] : [[0.2, 'fast'], [0.45, 'immediate'], [0.7, 'fast']];
      for (const [share, kind] of schedule) {
        await at(share);
        const started = Date.now();
        if (kind === 'fast') {
          await cluster.restartFast();
          done.push(`restart -m fast (${Date.now() - started} ms)`);
        } else {
          await cluster.stopImmediate();
          await sleep(downMs);
          await cluster.start();
          done.push(`stop -m immediate, down ${Math.round((Date.now() - started) / 100) / 10} s, start`);
        }
      }
      await submitting;
      await at(1);
      return settle({
        row: 5, scenario: 'PostgreSQL restarts while workers claim', backend: `PostgreSQL ${cluster.version} (private)`, faults: done.join('; '),
        tracker, eventsFile, faultEndedAt: Date.now(), parallel: 8, runMs: RUN_MS.workers, roles: [...workers, serve.role], readRows: pgRows(cluster.url), notes: [],
      });
    });
  } finally {
    cluster.destroy();
  }
}

/**
 * Row 6: the scale-out topology. Every process is a "machine" with a data folder of its own; they
 * share only a private PostgreSQL cluster and an S3 bucket (s3rver in this process). A killed
 * worker comes back as a new process on a fresh data folder, so nothing a job needs may live on a
 * worker's disk.
 */
async function row6(): Promise<RowResult> {
  const cluster = new PrivateCluster(await freePort());
  const bucket = await startS3Bucket();
  const unhook = onExit(() => rmSync(bucket.directory, { recursive: true, force: true }));
  try {
    await cluster.init();
    await cluster.start();
    return await withProcs(async (procs) => {
      const port = await freePort();
      // Every process must agree on the public URL (a worker tells the server's upload URLs by it).
      const env = { ...BASE_ENV, ...bucket.env, MODELGATE_DATABASE_URL: cluster.url, MODELGATE_PUBLIC_URL: `http://127.0.0.1:${port}` };
      const apiInstall = procs.install(env);
      const eventsFile = useFaultEngine(apiInstall);
      const freshInstall = (): Install => {
        const install = procs.install(env);
        install.env.MODELGATE_CONFIG = apiInstall.configFile; // one config (and engine event log) for the whole fleet
        return install;
      };
      const serveRole = new Supervised('serve', spawnServe(procs, apiInstall, port, { MODELGATE_WORKERS: '0' }));
      const child = serveRole.start();
      const [, url] = await child.waitFor(SERVING, 60_000);
      const key = KEY.exec(child.stderr)?.[1];
      if (!key) throw new Error(`serve printed no key\n${child.describe()}`);
      let folders = 0;
      const workers = [1, 2].map((n) => new Supervised(`worker ${n}`, () => {
        folders++;
        return spawnWorker(procs, freshInstall(), { MODELGATE_WORKERS: '4', MODELGATE_LOG_LEVEL: 'info' }, `worker ${n}`)();
      }));
      await Promise.all(workers.map((w) => w.start().waitFor(/worker started/, 60_000)));
      const tracker = new Tracker(() => ({ url: url!, key }));
      tracker.startPolling();
      const faults = await killWorkersWhileSubmitting(workers, tracker, 6);
      const result = await settle({
        row: 6, scenario: 'scale-out: kill -9 of a worker every 1–2 s, replaced on a fresh data folder', backend: `PostgreSQL ${cluster.version} (private) + S3 (s3rver)`,
        faults: `${faults}; ${folders} worker data folders`, tracker, eventsFile, faultEndedAt: Date.now(), parallel: 8, runMs: RUN_MS.workers,
        roles: [...workers, serveRole], readRows: pgRows(cluster.url), notes: [],
      });
      // outputs/<request id>/<attempt>-<token>/<n>.<ext>: the jobs whose outputs reached the bucket.
      const withOutputs = new Set(bucket.keys().map((k) => /outputs\/([^/]+)\//.exec(k)?.[1]).filter((id) => id !== undefined));
      // A succeeded job whose outputs are not in the bucket has them on a (replaced) worker's disk: lost to the other machines.
      const missing = [...tracker.firstTerminal].filter(([id, seen]) => seen.status === 'succeeded' && !withOutputs.has(id)).length;
      result.lost += missing;
      result.notes.push(`${withOutputs.size} jobs have outputs in the bucket (${result.completed} completed)${missing ? `; ${missing} succeeded without outputs in the bucket, counted lost` : ''}`);
      return result;
    });
  } finally {
    cluster.destroy();
    await bucket.close();
    unhook();
  }
}

const RUNNERS: Record<number, { name: string; backend: string; run: () => Promise<RowResult> }> = {
  1: { name: 'kill -9 of serve mid submit burst, restart', backend: 'SQLite', run: row1 },
  2: { name: 'kill -9 of a worker every 1–2 s, restarted', backend: 'SQLite', run: () => workerKills(2, 'SQLite') },
  3: { name: 'kill -9 of a worker every 1–2 s, restarted', backend: 'PostgreSQL', run: () => workerKills(3, 'PostgreSQL') },
  4: { name: 'full disk (ENOSPC) while jobs run, then space returns', backend: 'SQLite', run: row4 },
  5: { name: 'PostgreSQL restarts while workers claim', backend: 'PostgreSQL (private)', run: row5 },
  6: { name: 'scale-out: kill -9 of a worker every 1–2 s, replaced on a fresh data folder', backend: 'PostgreSQL (private) + S3', run: row6 },
};

// ---------------------------------------------------------------------------------------------
// Report

function machineFacts(): string {
  const sh = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return '?';
    }
  };
  const pg = sh('psql', [SHARED_PG, '-tAc', 'show server_version']);
  const dirty = sh('git', ['status', '--porcelain', '--untracked-files=no']) ? ' (+ uncommitted changes)' : '';
  return [
    `machine: nproc ${sh('nproc', [])} (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 1024 ** 3)} GB RAM, Linux ${release()}, node ${process.version}, PostgreSQL ${pg} (shared cluster)`,
    `checkout: ${sh('git', ['rev-parse', '--short', 'HEAD'])}${dirty}; load average at start ${loadavg().map((x) => x.toFixed(2)).join(' ')}`,
    `settings: lease ${LEASE_MS} ms, sweep ${SWEEP_MS} ms, poll ${POLL_MS} ms, max attempts ${MAX_ATTEMPTS}, each job sleeps in the test engine ${RUN_MS.burst} ms (row 1), ${RUN_MS.workers} ms (rows 2, 3, 5, 6), ${RUN_MS.disk} ms (row 4), ${JOBS} jobs per row`,
  ].join('\n');
}

function table(results: RowResult[]): string {
  const lines = [
    '| # | scenario | backend | faults injected | acknowledged | completed | failed (types) | lost | duplicated | stuck | re-runs (jobs / extra runs / 2× done) | drain | crashes |',
    '| --- | --- | --- | --- | ---: | ---: | --- | ---: | ---: | ---: | --- | ---: | ---: |',
  ];
  for (const r of results) {
    if (r.skipped || r.error) {
      lines.push(`| ${r.row} | ${r.scenario} | ${r.backend} | ${r.skipped ?? `**could not run**: ${r.error}`} | | | | | | | | | |`);
      continue;
    }
    const failed = r.failed.size === 0 ? '0' : `${[...r.failed.values()].reduce((a, b) => a + b, 0)} (${[...r.failed].map(([t, n]) => `${t} ×${n}`).join(', ')})`;
    const drain = r.drainMs === undefined ? `> ${(r.deadlineMs / 1000).toFixed(1)} s` : `${(r.drainMs / 1000).toFixed(1)} s`;
    const mark = (n: number) => (n > 0 ? `**${n}**` : '0');
    lines.push(`| ${r.row} | ${r.scenario} | ${r.backend} | ${r.faults} | ${r.acknowledged} | ${r.completed} | ${failed} | ${mark(r.lost)} | ${mark(r.duplicated)} | ${mark(r.stuck)} | ${r.reruns.jobs} / ${r.reruns.extra} / ${r.reruns.doubleDone} | ${drain} | ${r.crashes.length} |`);
  }
  return lines.join('\n');
}

export const DEFINITIONS = `Definitions (per row; every count is over acknowledged submits, i.e. POSTs answered 200 with a request_id):
- completed: the result route says succeeded. failed: it says failed, by error type (worker_lost = the retry budget of ${MAX_ATTEMPTS} lost leases was spent; not lost, but reported).
- lost: acknowledged, but the server answers 404 for the request_id at the end (the job is unknown).
- stuck: known but not terminal (queued/running) when the deadline passed, or not answerable at the end. Deadline, counted from the end of the fault: 2 × lease + sweep + 2 × (jobs still pending ÷ parallel slots) × run time + 15 s start-up slack.
- duplicated (a defect): one acknowledged submit that made two job rows (rows matched by a unique tag in the prompt); or a job whose terminal result (outputs or error) changed after the bench first saw it terminal; or a job whose engine ran the same attempt number twice (a claim handed out twice: the fencing token was reused); or an engine execution that started after the job was seen terminal.
- re-runs (expected, at-least-once delivery): jobs the engine ran more than once with distinct, increasing attempt numbers (a lost lease or a killed worker, then a re-claim); "extra runs" counts the executions beyond the first; "2× done" counts jobs where two attempts both returned from the engine (the first one's worker died, or lost its lease, between the engine returning and the result being committed; fencing keeps only one result).
- drain: from the end of the fault (server restarted, space returned, cluster back, last worker kill) until the bench saw the last acknowledged job terminal.
- crashes: serve/worker exits the bench did not cause (each is restarted, as a supervisor would, except the server in row 1); listed under the table.
Bar: lost = 0 and stuck = 0 in every row (the exit code is 1 otherwise).`;

// ---------------------------------------------------------------------------------------------

process.stdout.write(`command: node --import tsx bench/faults.ts ${argv.join(' ')}\n${machineFacts()}\n`);
const results: RowResult[] = [];
const started = Date.now();
for (const row of ROWS) {
  const runner = RUNNERS[row]!;
  process.stdout.write(`\n== row ${row}: ${runner.name} (${runner.backend})\n`);
  const t0 = Date.now();
  let result: RowResult;
  try {
    result = await runner.run();
  } catch (error) {
    result = emptyResult(row, runner.name, runner.backend);
    result.error = (error as Error).message.split('\n')[0]!.slice(0, 300);
    process.stdout.write(`row ${row} could not run: ${(error as Error).stack ?? String(error)}\n`);
  }
  results.push(result);
  process.stdout.write(`${table([result]).split('\n').at(-1)}\n`);
  for (const note of result.notes) process.stdout.write(`  note: ${note}\n`);
  for (const crash of result.crashes) process.stdout.write(`  crash: ${crash}\n`);
  process.stdout.write(`  (row took ${Math.round((Date.now() - t0) / 1000)} s)\n`);
}

process.stdout.write(`\n== fault battery (${Math.round((Date.now() - started) / 1000)} s; load average after ${loadavg().map((x) => x.toFixed(2)).join(' ')})\n\n${table(results)}\n\n`);
for (const r of results) {
  for (const note of r.notes) process.stdout.write(`- row ${r.row}: ${note}\n`);
  for (const crash of r.crashes) process.stdout.write(`- row ${r.row} crash: ${crash}\n`);
}
process.stdout.write(`\n${DEFINITIONS}\n`);
const failing = results.filter((r) => r.error || (!r.skipped && (r.lost > 0 || r.stuck > 0)));
process.stdout.write(failing.length > 0 ? `\nFAIL: rows ${failing.map((r) => r.row).join(', ')} miss the bar (lost > 0, stuck > 0, or could not run)\n` : '\nPASS: every row that ran has lost = 0 and stuck = 0\n');
process.exitCode = failing.length > 0 ? 1 : 0;
