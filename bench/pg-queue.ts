/**
 * The PostgreSQL queue against its anchors: ModelGate (real `modelgate worker` processes with a
 * no-op module engine, bench/lib/noop-engine.ts), graphile-worker and pg-boss (no-op handlers,
 * bench/lib/anchor-worker.ts), each with the same processes × slots on one fresh database.
 * Per round and system, interleaved (a b c a b c …) so a shared machine's background load falls
 * on all alike:
 *   drain     enqueue `jobs` jobs in one bulk call from this process, time until none is left
 *             unfinished (jobs/s); with worker CPU per job (/proc of the worker processes),
 *             database CPU per job (/proc of the backends connected to the system's database), WAL
 *             bytes per job (pg_walinspect: the records touching the system's own database, plus
 *             those transactions' commit records, so other databases' writes do not count) and
 *             the row updates in that WAL, with the share that were HOT (every table of the
 *             system: the queue and whatever its statements and triggers touch besides), and
 *             the commit records among them: write transactions per job.
 *   latency   `samples` single jobs enqueued from this process into an idle system, one at a time:
 *             enqueue call → handler start in a worker process (both on CLOCK_MONOTONIC).
 * Figures are summed over rounds (rates) or taken over all samples (percentiles); ratios are
 * against graphile-worker in the same run.
 *   node --import tsx bench/pg-queue.ts [--jobs 5000] [--rounds 3] [--processes 2] [--concurrency 8]
 *     [--samples 100] [--outputs 0] [--systems modelgate,graphile,pgboss] [--pgboss-batch 8]
 * pg-boss fetches `--pgboss-batch` jobs per poll (see bench/lib/anchor-worker.ts).
 * BENCH_SERVER_ROOT: another checkout whose `modelgate worker` to run; BENCH_BASE_ROOT: a second
 * checkout run as one more system, "ModelGate (base)" (the commit before a change, for an A/B
 * in the same run).
 * BENCH_CPU_PROF_DIR: write V8 CPU profiles of the ModelGate worker processes there.
 * BENCH_PG_URL: an admin connection (default postgres://postgres@127.0.0.1:5432/postgres); the
 * bench creates one database per system there and drops them at the end.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeWorkerUtils, type WorkerUtils } from 'graphile-worker';
import { Client } from 'pg';
import PgBoss from 'pg-boss';
import type { PostgresStore as PostgresStoreClass } from '../src/store/postgres/postgres-store.ts';
import { cpuSeconds, fmt } from './lib/load.ts';
import { ROOT, sleep } from './lib/servers.ts';

const { values: flags } = parseArgs({
  options: {
    jobs: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '3' },
    processes: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '8' },
    samples: { type: 'string', default: '100' },
    outputs: { type: 'string', default: '0' },
    systems: { type: 'string', default: 'modelgate,graphile,pgboss' },
    'pgboss-batch': { type: 'string', default: '8' },
  },
});
const JOBS = Number(flags.jobs);
const ROUNDS = Number(flags.rounds);
const PROCESSES = Number(flags.processes);
const CONCURRENCY = Number(flags.concurrency);
const SAMPLES = Number(flags.samples);
const OUTPUTS = Number(flags.outputs);
/** Any catalog model: the config routes it to the no-op engine. */
const MODEL = 'bytedance/dreamina-4-0/text-to-image';
const ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** Another checkout to run `modelgate worker` from (A/B of a change), as in bench/lib/servers.ts. */
const SERVER_ROOT = process.env.BENCH_SERVER_ROOT ?? ROOT;

interface QueueSystem {
  name: string;
  /** A connection to the system's own database, for counting and cleaning. */
  db: Client;
  pids: number[];
  /** Enqueues `count` no-op jobs in one bulk call. */
  enqueueMany(count: number): Promise<void>;
  /** Enqueues one job whose handler records `timed` when it starts. */
  enqueueTimed(timed: string): Promise<void>;
  unfinished(): Promise<number>;
  /** Removes finished jobs and vacuums, so every round starts from the same table. */
  clean(): Promise<void>;
  stop(): Promise<void>;
}

/** A worker process's output goes to a file (a pipe nobody reads would stall it). */
function spawnWorker(args: string[], env: NodeJS.ProcessEnv, logFile: string, cwd = ROOT): ChildProcess {
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  return child;
}

async function waitForLine(child: ChildProcess, logFile: string, marker: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`worker exited ${child.exitCode}:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
    if (readFileSync(logFile, 'utf8').includes(marker)) return;
    await sleep(50);
  }
  throw new Error(`worker did not log "${marker}" within 60 s:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
}

async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(children.map(async (child) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }));
}

async function startModelGate(name: string, root: string, url: string, dir: string, recordFile: string, admin: Client): Promise<QueueSystem> {
  // The enqueuing store comes from the workers' checkout, so both agree on the migrations;
  // opening it here migrates the database before any worker starts.
  const { PostgresStore } = (await import(join(root, 'src/store/postgres/postgres-store.ts'))) as { PostgresStore: typeof PostgresStoreClass };
  const store = await PostgresStore.open({ url, poolSize: 4 });
  const configFile = join(dir, `${name}.json`);
  const engine = { type: 'module', module: join(ROOT, 'bench/lib/noop-engine.ts'), record_file: recordFile, outputs: OUTPUTS };
  writeFileSync(configFile, JSON.stringify({ engines: { noop: engine }, models: { [MODEL]: { engine: 'noop' } } }));
  const children: ChildProcess[] = [];
  for (let i = 0; i < PROCESSES; i++) {
    const logFile = join(dir, `${name}-${i}.log`);
    const profile = process.env.BENCH_CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`] : [];
    const child = spawnWorker([...profile, 'bin/modelgate.mjs', 'worker'], {
      MODELGATE_DATABASE_URL: url,
      MODELGATE_DATA_DIR: join(dir, `${name}-data-${i}`),
      MODELGATE_CONFIG: configFile,
      MODELGATE_WORKERS: String(CONCURRENCY),
    }, logFile, root);
    children.push(child);
    await waitForLine(child, logFile, 'worker started');
  }
  const job = (input: Record<string, unknown>) => ({ id: randomUUID(), ownerKeyId: 'bench', modelId: MODEL, input, maxAttempts: 3, createdAt: Date.now() });
  return {
    name,
    db: admin,
    pids: children.map((child) => child.pid!),
    // Calls made in one event-loop turn are group-committed: one INSERT for the whole batch.
    enqueueMany: async (count) => void (await Promise.all(Array.from({ length: count }, () => store.insertJob(job({}))))),
    enqueueTimed: (timed) => store.insertJob(job({ timed })),
    unfinished: async () => Number((await admin.query(`SELECT count(*) AS n FROM public.jobs WHERE state IN ('queued', 'running')`)).rows[0].n),
    clean: async () => {
      await admin.query(`DELETE FROM public.jobs WHERE state NOT IN ('queued', 'running')`);
      await admin.query('VACUUM public.jobs');
    },
    stop: async () => {
      await stopAll(children);
      await store.close();
    },
  };
}

async function startAnchorWorkers(kind: 'graphile' | 'pgboss', url: string, dir: string, recordFile: string): Promise<ChildProcess[]> {
  const children: ChildProcess[] = [];
  for (let i = 0; i < PROCESSES; i++) {
    const logFile = join(dir, `${kind}-${i}.log`);
    const child = spawnWorker(['--import', 'tsx', 'bench/lib/anchor-worker.ts', kind, url, String(CONCURRENCY), recordFile, flags['pgboss-batch']], {}, logFile);
    children.push(child);
    await waitForLine(child, logFile, 'ready');
  }
  return children;
}

async function startGraphile(url: string, dir: string, recordFile: string, admin: Client): Promise<QueueSystem> {
  const utils: WorkerUtils = await makeWorkerUtils({ connectionString: url });
  await utils.migrate();
  const children = await startAnchorWorkers('graphile', url, dir, recordFile);
  return {
    name: 'graphile-worker',
    db: admin,
    pids: children.map((child) => child.pid!),
    // add_jobs: graphile-worker's own bulk insert, one statement.
    enqueueMany: async (count) => {
      const specs = JSON.stringify(Array.from({ length: count }, () => ({ identifier: 'noop', payload: {} })));
      await admin.query(`SELECT count(*) FROM graphile_worker.add_jobs(array(SELECT json_populate_recordset(null::graphile_worker.job_spec, $1::json)))`, [specs]);
    },
    enqueueTimed: async (timed) => void (await utils.addJob('noop', { timed })),
    unfinished: async () => Number((await admin.query('SELECT count(*) AS n FROM graphile_worker._private_jobs')).rows[0].n),
    // Finished jobs are deleted by graphile-worker itself.
    clean: async () => void (await admin.query('VACUUM graphile_worker._private_jobs')),
    stop: async () => {
      await stopAll(children);
      await utils.release();
    },
  };
}

async function startPgBoss(url: string, dir: string, recordFile: string, admin: Client): Promise<QueueSystem> {
  const boss = new PgBoss({ connectionString: url, max: 4, supervise: false, schedule: false });
  boss.on('error', (error) => console.error(error));
  await boss.start();
  await boss.createQueue('noop');
  const children = await startAnchorWorkers('pgboss', url, dir, recordFile);
  return {
    name: 'pg-boss',
    db: admin,
    pids: children.map((child) => child.pid!),
    enqueueMany: (count) => boss.insert(Array.from({ length: count }, () => ({ name: 'noop', data: {} }))),
    enqueueTimed: async (timed) => void (await boss.send('noop', { timed })),
    unfinished: async () => Number((await admin.query(`SELECT count(*) AS n FROM pgboss.job WHERE name = 'noop' AND state IN ('created', 'retry', 'active')`)).rows[0].n),
    clean: async () => {
      await admin.query(`DELETE FROM pgboss.job WHERE name = 'noop' AND state = 'completed'`);
      await admin.query('VACUUM pgboss.job');
    },
    stop: async () => {
      await stopAll(children);
      await boss.stop({ graceful: false, wait: true });
    },
  };
}

/** Reads what the handlers recorded since the last call: "<timed> <hrtime ns>" lines. */
class RecordReader {
  private offset = 0;
  private readonly seen = new Map<string, bigint>();
  private partial = '';
  constructor(private readonly file: string) {}

  startOf(timed: string): bigint | undefined {
    const fd = openSync(this.file, 'r');
    try {
      const buffer = Buffer.alloc(64 * 1024);
      for (let n; (n = readSync(fd, buffer, 0, buffer.length, this.offset)) > 0;) {
        this.offset += n;
        const lines = (this.partial + buffer.subarray(0, n).toString('utf8')).split('\n');
        this.partial = lines.pop()!;
        for (const line of lines) {
          const [id, at] = line.split(' ');
          if (id && at) this.seen.set(id, BigInt(at));
        }
      }
    } finally {
      closeSync(fd);
    }
    return this.seen.get(timed);
  }
}

/**
 * The WAL written so far, once it is on disk: pg_walinspect (PostgreSQL 15) refuses an end past
 * the flushed WAL, and asynchronous commits (ModelGate's claims) can leave the last records
 * unflushed for a moment after the drain.
 */
async function walLsn(admin: Client): Promise<string> {
  const at = (await admin.query<{ at: string }>(`SELECT pg_current_wal_lsn()::text AS at`)).rows[0]!.at;
  while (!(await admin.query<{ done: boolean }>(`SELECT pg_current_wal_flush_lsn() >= $1::pg_lsn AS done`, [at])).rows[0]!.done) await sleep(5);
  return at;
}

interface WalFigures { bytes: bigint; updates: number; hot: number; commits: number }

/**
 * WAL written for this database between two positions: every record with a block in it, and
 * the commit records of the transactions that wrote them (a commit names no block); and how
 * many of those records were row updates, and HOT ones.
 */
async function walFigures(admin: Client, from: string, to: string): Promise<WalFigures> {
  const { rows } = await admin.query(`WITH r AS (SELECT xid, record_length, resource_manager, record_type, block_ref FROM pg_get_wal_records_info($1::pg_lsn, $2::pg_lsn)),
      ours AS (SELECT DISTINCT xid FROM r WHERE block_ref LIKE $3)
    SELECT coalesce(sum(record_length), 0) AS bytes,
      count(*) FILTER (WHERE resource_manager = 'Heap' AND record_type ~ '^(HOT_)?UPDATE') AS updates,
      count(*) FILTER (WHERE resource_manager = 'Heap' AND record_type ~ '^HOT_UPDATE') AS hot,
      count(*) FILTER (WHERE resource_manager = 'Transaction' AND record_type ~ '^COMMIT') AS commits
    FROM r
    WHERE block_ref LIKE $3 OR (resource_manager = 'Transaction' AND xid IN (SELECT xid FROM ours))`,
  [from, to, `%/${(await admin.query('SELECT oid FROM pg_database WHERE datname = current_database()')).rows[0].oid}/%`]);
  return { bytes: BigInt(rows[0].bytes), updates: Number(rows[0].updates), hot: Number(rows[0].hot), commits: Number(rows[0].commits) };
}
/**
 * CPU time of the server processes (backends) connected to the system's database, this bench's
 * own connection left out: the database's share of a drain, which a loaded machine stretches in
 * wall time but not in CPU time. A backend that exits during the drain is missed (pools keep
 * theirs); one that starts during it counts whole.
 */
async function backendCpu(admin: Client): Promise<Map<number, number>> {
  const { rows } = await admin.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`);
  const cpu = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      cpu.set(pid, cpuSeconds(pid));
    } catch {
      // Gone between the listing and the read.
    }
  }
  return cpu;
}

function backendCpuSpent(before: Map<number, number>, after: Map<number, number>): number {
  let spent = 0;
  for (const [pid, seconds] of after) spent += seconds - (before.get(pid) ?? 0);
  return spent;
}

interface DrainRound { seconds: number; enqueueSeconds: number; cpuSeconds: number; dbCpuSeconds: number; wal: WalFigures }

async function drain(system: QueueSystem): Promise<DrainRound> {
  const admin = system.db;
  await system.clean();
  const cpuBefore = system.pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const dbCpuBefore = await backendCpu(admin);
  const walBefore = await walLsn(admin);
  const started = performance.now();
  await system.enqueueMany(JOBS);
  const enqueueSeconds = (performance.now() - started) / 1000;
  while ((await system.unfinished()) > 0) await sleep(10);
  const seconds = (performance.now() - started) / 1000;
  const walAfter = await walLsn(admin);
  const cpu = system.pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0) - cpuBefore;
  const dbCpu = backendCpuSpent(dbCpuBefore, await backendCpu(admin));
  return { seconds, enqueueSeconds, cpuSeconds: cpu, dbCpuSeconds: dbCpu, wal: await walFigures(admin, walBefore, walAfter) };
}

async function latencies(system: QueueSystem, reader: RecordReader): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    // A random idle gap, so a poller's phase does not line up with the submits.
    await sleep(20 + Math.random() * 30);
    const timed = randomUUID();
    const sent = process.hrtime.bigint();
    await system.enqueueTimed(timed);
    const deadline = Date.now() + 30_000;
    let start: bigint | undefined;
    while ((start = reader.startOf(timed)) === undefined) {
      if (Date.now() > deadline) throw new Error(`${system.name}: a timed job did not start within 30 s`);
      await sleep(2);
    }
    samples.push(Number(start - sent) / 1e6);
  }
  // Let the idle system finish settling the last job before the next system's round.
  while ((await system.unfinished()) > 0) await sleep(10);
  return samples;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

async function main(): Promise<void> {
  const adminServer = new Client({ connectionString: ADMIN_URL });
  await adminServer.connect();
  const databases: string[] = [];
  const clients: Client[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-pgq-'));
  const systems: QueueSystem[] = [];
  const readers = new Map<QueueSystem, RecordReader>();
  try {
    const wanted = new Set(flags.systems.split(','));
    const baseRoot = process.env.BENCH_BASE_ROOT;
    type Start = (url: string, dir: string, recordFile: string, admin: Client) => Promise<QueueSystem>;
    const starters: [string, Start][] = [
      ['modelgate', (...args) => startModelGate('ModelGate', SERVER_ROOT, ...args)],
      ...(baseRoot ? [['modelgate_base', (...args) => startModelGate('ModelGate (base)', baseRoot, ...args)] as [string, Start]] : []),
      ['graphile', startGraphile],
      ['pgboss', startPgBoss],
    ];
    for (const [key, start] of starters) {
      if (!wanted.has(key.replace('_base', ''))) continue;
      // One database per system: no system's statistics, vacuums or locks touch another's tables.
      const database = `modelgate_pgq_${process.pid}_${key}`;
      await adminServer.query(`CREATE DATABASE ${database}`);
      databases.push(database);
      const url = new URL(ADMIN_URL);
      url.pathname = `/${database}`;
      const admin = new Client({ connectionString: url.toString() });
      await admin.connect();
      clients.push(admin);
      await admin.query('CREATE EXTENSION pg_walinspect');
      const recordFile = join(dir, `${key}-started.txt`);
      writeFileSync(recordFile, '');
      const system = await start(url.toString(), dir, recordFile, admin);
      systems.push(system);
      readers.set(system, new RecordReader(recordFile));
    }
    console.log(`pg-queue: ${JOBS} jobs × ${ROUNDS} rounds, ${PROCESSES} processes × ${CONCURRENCY} slots, ${SAMPLES} latency samples per round, ${OUTPUTS} outputs per ModelGate job; load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    // A warm-up drain each (JIT, prepared statements, connection pools), not counted.
    for (const system of systems) await drain(system);
    const drains = new Map<QueueSystem, DrainRound[]>(systems.map((s) => [s, []]));
    const waits = new Map<QueueSystem, number[]>(systems.map((s) => [s, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const system of systems) {
        const result = await drain(system);
        drains.get(system)!.push(result);
        console.log(`  round ${round + 1} ${system.name.padEnd(16)} drain ${fmt(JOBS / result.seconds, 0).padStart(6)} jobs/s`);
      }
      for (const system of systems) waits.get(system)!.push(...(await latencies(system, readers.get(system)!)));
    }
    console.log(`load average at end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    report(systems, drains, waits);
  } finally {
    for (const system of systems) await system.stop().catch((error: unknown) => console.error(error));
    for (const client of clients) await client.end();
    for (const database of databases) await adminServer.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await adminServer.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(systems: QueueSystem[], drains: Map<QueueSystem, DrainRound[]>, waits: Map<QueueSystem, number[]>): void {
  const rows = systems.map((system) => {
    const rounds = drains.get(system)!;
    const sum = (pick: (r: DrainRound) => number) => rounds.reduce((total, r) => total + pick(r), 0);
    const jobs = JOBS * rounds.length;
    const updates = sum((r) => r.wal.updates);
    const samples = waits.get(system)!;
    return {
      name: system.name,
      drain: jobs / sum((r) => r.seconds),
      enqueue: jobs / sum((r) => r.enqueueSeconds),
      cpuMs: (sum((r) => r.cpuSeconds) / jobs) * 1000,
      dbCpuMs: (sum((r) => r.dbCpuSeconds) / jobs) * 1000,
      walBytes: Number(rounds.reduce((total, r) => total + r.wal.bytes, 0n)) / jobs,
      hot: updates > 0 ? sum((r) => r.wal.hot) / updates : NaN,
      updatesPerJob: updates / jobs,
      commitsPerJob: sum((r) => r.wal.commits) / jobs,
      p50: percentile(samples, 50),
      p95: percentile(samples, 95),
    };
  });
  const anchor = rows.find((row) => row.name === 'graphile-worker');
  const ratio = (value: number, base: number | undefined) => (base ? ` (${fmt(value / base, 2)}×)` : '');
  console.log('\n| system | drain jobs/s | bulk enqueue jobs/s | worker CPU ms/job | database CPU ms/job | WAL bytes/job | row updates/job (HOT share) | write transactions/job | enqueue → start p50 ms | p95 ms |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const row of rows) {
    console.log(`| ${row.name} | ${fmt(row.drain, 0)}${ratio(row.drain, anchor?.drain)} | ${fmt(row.enqueue, 0)} | ${fmt(row.cpuMs, 2)}${ratio(row.cpuMs, anchor?.cpuMs)} | ${fmt(row.dbCpuMs, 2)}${ratio(row.dbCpuMs, anchor?.dbCpuMs)} | ${fmt(row.walBytes, 0)}${ratio(row.walBytes, anchor?.walBytes)} | ${fmt(row.updatesPerJob, 2)} (${fmt(row.hot * 100, 0)} %) | ${fmt(row.commitsPerJob, 2)} | ${fmt(row.p50, 2)}${ratio(row.p50, anchor?.p50)} | ${fmt(row.p95, 2)} |`);
  }
  console.log('\nRatios are against graphile-worker in the same run.');
}

await main();
