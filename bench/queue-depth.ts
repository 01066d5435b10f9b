/**
 * Benchmark: status polls at queue depth (issue 13). For each store, each number of stored jobs
 * and each number of queued jobs among them, a fresh server is filled in bulk (one INSERT … SELECT
 * straight into its database, so the queue-count triggers run as they would for submits; the
 * queued jobs are the newest), then autocannon polls GET /v1/requests/{id}/status of the first
 * and of the last queued job, beside GET /bare on the bare Fastify server, rounds interleaved.
 *
 * Reported per case: answers/s, p50/p99, server CPU per answer (the ModelGate process) and, for
 * PostgreSQL, database CPU per answer (the backends of the bench's own database, from /proc).
 * Ratios: the last job's poll with the most queued ÷ with the fewest (same stored count; goal
 * ≤ 1.5×), and each poll's server CPU ÷ the bare route's (goal ≤ 1.5×), the latter read from
 * extra rounds in which the poll and the bare route are loaded at the same time (pairedWithBaseline
 * in lib/load.ts says why).
 *
 *   node --import tsx bench/queue-depth.ts [--stores sqlite,postgres] [--stored 1000,100000,1000000]
 *     [--queued 1000,100000] [--seconds 3] [--rounds 3] [--connections 50] [--quick]
 * --quick: 1 round of 2 s with a 1 s warm-up (a development run); PostgreSQL at
 * FAULTS_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres), one fresh database per case.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { freshDatabase, SHARED_PG } from './lib/fault-kit.ts';
import { cpuSeconds, describeLoad, fmt, interleaved, type LoadSummary, pairedWithBaseline } from './lib/load.ts';
import { type BenchResult, cpuRow, rateRow, runIfMain, timeRow } from './lib/report.ts';
import { MODELS, type ModelGateProcess, type ServerProcess, startBare, startModelGate } from './lib/servers.ts';

type StoreName = 'sqlite' | 'postgres';

interface Options {
  stores: StoreName[];
  stored: number[];
  queued: number[];
  seconds: number;
  rounds: number;
  warmUpSeconds: number;
  connections: number;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      stores: { type: 'string', default: 'sqlite,postgres' },
      stored: { type: 'string', default: '1000,100000,1000000' },
      queued: { type: 'string', default: '1000,100000' },
      seconds: { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string', default: '50' },
      quick: { type: 'boolean', default: false },
    },
  });
  const list = (text: string) => text.split(',').map((n) => Number(n.trim())).filter((n) => Number.isInteger(n) && n > 0);
  return {
    stores: values.stores.split(',').map((s) => s.trim()).filter((s): s is StoreName => s === 'sqlite' || s === 'postgres'),
    stored: list(values.stored),
    queued: list(values.queued),
    seconds: Number(values.seconds ?? (values.quick ? 2 : 3)),
    rounds: Number(values.rounds ?? (values.quick ? 1 : 3)),
    warmUpSeconds: values.quick ? 1 : 2,
    connections: Number(values.connections),
  };
}

const INPUT = JSON.stringify({ prompt: 'bench' });
const jobId = (i: number) => `bench-${String(i).padStart(8, '0')}`;

/** The stored jobs: the oldest `stored - queued` finished, the newest `queued` waiting, in seq order. */
function fillSqlite(dbPath: string, stored: number, queued: number): void {
  const db = new Database(dbPath);
  try {
    db.pragma('busy_timeout = 10000');
    const owner = (db.prepare('SELECT id FROM api_keys').get() as { id: string }).id;
    db.prepare(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < @stored)
      INSERT INTO jobs (id, owner_key_id, model_id, input, state, attempt, max_attempts, created_at, finished_at)
      SELECT 'bench-' || substr('0000000' || i, -8, 8), @owner, @model, @input,
        CASE WHEN i > @stored - @queued THEN 'queued' ELSE 'succeeded' END,
        CASE WHEN i > @stored - @queued THEN 0 ELSE 1 END, 3, @now,
        CASE WHEN i > @stored - @queued THEN NULL ELSE @now END
      FROM n`).run({ stored, queued, owner, model: MODELS.seedream, input: INPUT, now: Date.now() });
    db.exec('ANALYZE');
  } finally {
    db.close();
  }
}

async function fillPostgres(url: string, stored: number, queued: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const owner = (await client.query<{ id: string }>('SELECT id FROM api_keys')).rows[0]!.id;
    await client.query(
      `INSERT INTO jobs (id, owner_key_id, model_id, input, state, attempt, max_attempts, created_at, finished_at)
      SELECT 'bench-' || lpad(i::text, 8, '0'), $2, $3, $4,
        CASE WHEN i > $1 - $5 THEN 'queued' ELSE 'succeeded' END,
        CASE WHEN i > $1 - $5 THEN 0 ELSE 1 END, 3, $6,
        CASE WHEN i > $1 - $5 THEN NULL ELSE $6::bigint END
      FROM generate_series(1, $1::int) AS i ORDER BY i`,
      [stored, owner, MODELS.seedream, INPUT, queued, Date.now()],
    );
    // What autovacuum would have done by the time a real queue got this deep.
    await client.query('VACUUM ANALYZE jobs');
    await client.query('VACUUM ANALYZE queue_counts');
  } finally {
    await client.end();
  }
}

/** CPU seconds used so far by the PostgreSQL backends serving `database` (the server's pool). */
async function databaseCpu(admin: pg.Client, database: string): Promise<number> {
  const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
  let total = 0;
  for (const { pid } of rows) {
    try {
      total += cpuSeconds(pid);
    } catch {
      // the backend ended between the listing and the read
    }
  }
  return total;
}

interface CaseResult {
  store: StoreName;
  stored: number;
  queued: number;
  bare: LoadSummary;
  first: LoadSummary;
  last: LoadSummary;
  /** PostgreSQL only: database CPU µs per answer, per target. */
  dbCpu?: { first: number; last: number };
  /** Each poll loaded at the same time as the bare route (the server CPU goal's measurement). */
  paired: Record<'first' | 'last', { target: LoadSummary; baseline: LoadSummary; cpuRatios: number[] }>;
}

async function runCase(options: Options, bare: ServerProcess, store: StoreName, stored: number, queued: number): Promise<CaseResult> {
  const database = store === 'postgres' ? await freshDatabase(SHARED_PG) : undefined;
  let gate: ModelGateProcess | undefined;
  const admin = database ? new pg.Client({ connectionString: SHARED_PG }) : undefined;
  try {
    gate = await startModelGate({ workers: 0, env: database ? { MODELGATE_DATABASE_URL: database.url } : {} });
    const filledAt = Date.now();
    if (database) await fillPostgres(database.url, stored, queued);
    else fillSqlite(gate.dbPath, stored, queued);
    console.log(`${store}: ${stored} stored, ${queued} queued (filled in ${fmt((Date.now() - filledAt) / 1000, 1)} s)`);
    await admin?.connect();

    const poll = (i: number) => ({ url: `${gate!.url}/v1/requests/${jobId(i)}/status`, headers: gate!.auth, connections: options.connections, serverPid: gate!.pid });
    const dbSpent = { first: 0, last: 0 };
    let before = 0;
    const runs = await interleaved(
      { bare: { url: `${bare.url}/bare`, connections: options.connections, serverPid: bare.pid }, first: poll(stored - queued + 1), last: poll(stored) },
      {
        rounds: options.rounds,
        seconds: options.seconds,
        warmUpSeconds: options.warmUpSeconds,
        beforeRound: async () => {
          if (admin && database) before = await databaseCpu(admin, database.name);
        },
        afterRound: async (name, round) => {
          if (admin && database && name !== 'bare') dbSpent[name] += ((await databaseCpu(admin, database.name)) - before) * 1e6 / round.responses / options.rounds;
        },
      },
    );
    for (const [name, run] of Object.entries(runs)) console.log(`  ${describeLoad(name, run)}`);
    const bareTarget = { url: `${bare.url}/bare`, connections: options.connections, serverPid: bare.pid };
    const paired = await pairedWithBaseline({ first: poll(stored - queued + 1), last: poll(stored) }, bareTarget, options);
    for (const [name, run] of Object.entries(paired)) {
      console.log(`  ${describeLoad(`${name}, beside bare`, run.target)}`);
      console.log(`  ${describeLoad('  bare beside it', run.baseline)}   per-round CPU ratios ${run.cpuRatios.map((r) => fmt(r, 2)).join(' ')}`);
    }
    const answered = [runs.first, runs.last, paired.first.target, paired.last.target].every((run) => run.ok === run.responses);
    if (!answered) throw new Error(`not every poll answered 200: ${JSON.stringify([runs.first.statusCodes, runs.last.statusCodes])}; ${readFileSync(gate.logFile, 'utf8').slice(-2000)}`);
    return { store, stored, queued, ...runs, paired, ...(database ? { dbCpu: dbSpent } : {}) };
  } finally {
    await admin?.end();
    await gate?.stop();
    await database?.drop();
  }
}

function rowsFor(cases: CaseResult[]): BenchResult['rows'] {
  const rows: BenchResult['rows'] = [];
  for (const c of cases) {
    const label = `${c.store} ${c.stored.toLocaleString('en')} stored / ${c.queued.toLocaleString('en')} queued`;
    const bareRate = { name: 'bare GET', value: c.bare.rps };
    const bareCpu = { name: 'bare GET', value: c.bare.serverCpuUsPerReq! };
    rows.push(rateRow(`${label}: last job, answers/s`, c.last.rps, bareRate));
    rows.push(timeRow(`${label}: last job, p50`, c.last.p50, { name: 'bare GET', value: c.bare.p50 }));
    rows.push(timeRow(`${label}: last job, p99`, c.last.p99, { name: 'bare GET', value: c.bare.p99 }));
    for (const which of ['first', 'last'] as const) {
      rows.push(cpuRow(`${label}: ${which} job, server CPU per answer (rounds in turn)`, c[which].serverCpuUsPerReq!, bareCpu));
      // The goal is judged on the paired runs: the poll and the bare route measured at the same time.
      const paired = c.paired[which];
      const cpu = paired.target.serverCpuUsPerReq!;
      const beside = { name: 'bare GET at the same time', value: paired.baseline.serverCpuUsPerReq! };
      rows.push(cpuRow(`${label}: ${which} job, server CPU per answer (beside bare)`, cpu, beside, { target: '≤ 1.5× bare', met: cpu / beside.value <= 1.5 }));
      if (c.dbCpu) rows.push(cpuRow(`${label}: ${which} job, database CPU per answer`, c.dbCpu[which]));
    }
  }
  // Depth: the last job's poll with the most queued against the fewest, at the same stored count.
  for (const store of new Set(cases.map((c) => c.store))) {
    for (const stored of new Set(cases.map((c) => c.stored))) {
      const same = cases.filter((c) => c.store === store && c.stored === stored).sort((a, b) => a.queued - b.queued);
      if (same.length < 2) continue;
      const shallow = same[0]!;
      const deep = same[same.length - 1]!;
      const cost = shallow.last.rps / deep.last.rps;
      const label = `${store} ${stored.toLocaleString('en')} stored: last job with ${deep.queued.toLocaleString('en')} queued`;
      rows.push(rateRow(`${label}, answers/s`, deep.last.rps, { name: `${shallow.queued.toLocaleString('en')} queued`, value: shallow.last.rps }, { target: '≤ 1.5×', met: cost <= 1.5 }));
      const cpu = (c: CaseResult) => c.last.serverCpuUsPerReq! + (c.dbCpu?.last ?? 0);
      rows.push(cpuRow(`${label}, server + database CPU per answer`, cpu(deep), { name: `${shallow.queued.toLocaleString('en')} queued`, value: cpu(shallow) }));
      // The two cases ran minutes apart, and the bare route itself moved by up to 2× between
      // cases on this machine; each case's cost is therefore also taken in units of its own bare
      // route's CPU (measured in the same interleaved rounds), and the goal is read from that.
      const inBare = (c: CaseResult) => cpu(c) / c.bare.serverCpuUsPerReq!;
      rows.push({
        metric: `${label}, server + database CPU per answer in units of the same case's bare route`,
        value: inBare(deep),
        unit: '× bare',
        baseline: { name: `${shallow.queued.toLocaleString('en')} queued`, value: inBare(shallow) },
        cost: inBare(deep) / inBare(shallow),
        target: '≤ 1.5×',
        met: inBare(deep) / inBare(shallow) <= 1.5,
      });
    }
  }
  return rows;
}

export async function queueDepthBench(options = parseOptions()): Promise<BenchResult> {
  const bare = await startBare();
  const cases: CaseResult[] = [];
  try {
    for (const store of options.stores) {
      for (const stored of options.stored) {
        for (const queued of options.queued.filter((q) => q <= stored)) cases.push(await runCase(options, bare, store, stored, queued));
      }
    }
  } finally {
    await bare.stop();
  }
  return {
    name: 'queue depth',
    rows: rowsFor(cases),
    notes: [
      `${options.connections} connections; ${options.rounds} round(s) of ${options.seconds} s per target (bare, first queued job, last queued job), interleaved, after a ${options.warmUpSeconds} s warm-up each; a fresh server and database per case, filled in bulk with the queued jobs newest; PostgreSQL tables vacuumed and analysed after the fill.`,
      `"beside bare": then ${options.rounds} more round(s) per poll, each poll loaded at the same time as the bare route (${options.connections} connections each), so both servers' CPU per answer comes from the same seconds of the machine; the ≤ 1.5× goal is read from these. Per-round ratios: ${cases.map((c) => `${c.store} ${c.stored}/${c.queued} first ${c.paired.first.cpuRatios.map((r) => fmt(r, 2)).join(' ')}, last ${c.paired.last.cpuRatios.map((r) => fmt(r, 2)).join(' ')}`).join('; ')}.`,
    ],
  };
}

await runIfMain(import.meta.url, () => queueDepthBench());
