/**
 * Benchmark 2: durable submit throughput. autocannon POSTs a small valid body to a model at high
 * concurrency with MODELGATE_WORKERS=0 (nothing runs), SQLite in WAL mode with
 * synchronous=FULL (each 200 waits for the group commit that holds its row, fsync included), and
 * the same with synchronous=NORMAL for comparison, beside POST /echo on the bare Fastify server;
 * rounds interleaved. Afterwards the jobs table must hold exactly one row per 200 answered.
 * Target: ≥ 5,000 jobs/s with FULL on 2 cores.
 *   node --import tsx bench/submit-throughput.ts
 */
import BetterSqlite3 from 'better-sqlite3';
import { describeLoad, interleaved, type LoadOptions } from './lib/load.ts';
import { type BenchResult, cpuRow, rateRow, runIfMain, timeRow } from './lib/report.ts';
import { MODELS, type ModelGateProcess, sleep, startBare, startModelGate } from './lib/servers.ts';

const CONNECTIONS = 128;
const ROUNDS = 3;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const BODY = JSON.stringify({ prompt: 'a lighthouse at dusk, bench' });

function countJobs(server: ModelGateProcess): number {
  const db = new BetterSqlite3(server.dbPath, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM jobs').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** The row count once nothing is arriving any more (a warm-up cut short leaves commits in flight). */
async function settledCount(server: ModelGateProcess): Promise<number> {
  let last = countJobs(server);
  for (;;) {
    await sleep(150);
    const now = countJobs(server);
    if (now === last) return now;
    last = now;
  }
}

export async function submitBench(): Promise<BenchResult> {
  const [bare, full, normal] = await Promise.all([startBare(), startModelGate({ workers: 0, synchronous: 'FULL' }), startModelGate({ workers: 0, synchronous: 'NORMAL' })]);
  const gates = { full, normal } as const;
  const rowsAdded = { full: 0, normal: 0 };
  const countBefore = { full: 0, normal: 0 };
  try {
    const submit = (gate: ModelGateProcess): LoadOptions => ({
      url: `${gate.url}/v1/models/${MODELS.seedream}`,
      method: 'POST',
      headers: { ...gate.auth, 'content-type': 'application/json' },
      body: BODY,
      connections: CONNECTIONS,
      serverPid: gate.pid,
    });
    const results = await interleaved(
      {
        base: { url: `${bare.url}/echo`, method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY, connections: CONNECTIONS, serverPid: bare.pid },
        full: submit(full),
        normal: submit(normal),
      },
      {
        rounds: ROUNDS,
        seconds: SECONDS,
        // A fixed number of requests per round rather than a duration: autocannon then waits for
        // every answer, so none is cut off in flight and the row count can be checked exactly.
        fixedAmount: true,
        beforeRound: async (name) => {
          if (name !== 'base') countBefore[name] = await settledCount(gates[name]);
        },
        afterRound: (name) => {
          if (name !== 'base') rowsAdded[name] += countJobs(gates[name]) - countBefore[name];
        },
      },
    );
    const { base } = results;
    console.log(describeLoad('bare POST /echo', base));
    console.log(describeLoad('POST submit (FULL)', results.full));
    console.log(describeLoad('POST submit (NORMAL)', results.normal));

    const baseline = (value: number) => ({ name: 'bare POST', value });
    const notes = [`${CONNECTIONS} connections; body ${BODY}; ${ROUNDS} rounds each of a fixed request count (≈ ${SECONDS} s at the warm-up rate), bare / FULL / NORMAL taking turns, after a 2 s warm-up each; fresh data folders.`];
    for (const name of ['full', 'normal'] as const) {
      const run = results[name];
      const consistent = rowsAdded[name] === run.ok;
      notes.push(`${name.toUpperCase()}: ${run.ok} answered 200, ${rowsAdded[name]} rows added to jobs: ${consistent ? 'equal' : 'MISMATCH'}` +
        (run.non2xx || run.errors ? `; non-2xx ${run.non2xx}, errors ${run.errors}` : ''));
    }
    const jobsPerSecond = (name: 'full' | 'normal') => results[name].ok / results[name].seconds;
    return {
      name: 'submit',
      rows: [
        rateRow('accepted jobs/s, synchronous=FULL', jobsPerSecond('full'), baseline(base.rps), { target: '≥ 5,000 /s', met: jobsPerSecond('full') >= 5_000 && rowsAdded.full === results.full.ok }),
        timeRow('latency p50, FULL', results.full.p50, baseline(base.p50)),
        timeRow('latency p99, FULL', results.full.p99, baseline(base.p99)),
        cpuRow('server CPU per answer, FULL', results.full.serverCpuUsPerReq!, baseline(base.serverCpuUsPerReq!)),
        rateRow('accepted jobs/s, synchronous=NORMAL', jobsPerSecond('normal'), baseline(base.rps)),
        timeRow('latency p50, NORMAL', results.normal.p50, baseline(base.p50)),
        timeRow('latency p99, NORMAL', results.normal.p99, baseline(base.p99)),
      ],
      notes,
    };
  } finally {
    await Promise.all([bare.stop(), full.stop(), normal.stop()]);
  }
}

await runIfMain(import.meta.url, submitBench);
