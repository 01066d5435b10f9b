/**
 * Benchmark 1: status polls. autocannon GETs /v1/requests/{id}/status with a valid key (one
 * queued job, MODELGATE_WORKERS=0 so it stays queued: the answer then includes its queue
 * position), beside GET /bare on the bare Fastify server; same connections, rounds interleaved.
 * Target: a poll costs at most 1.5× the bare route.
 *   node --import tsx bench/status-poll.ts
 */
import { describeLoad, interleaved } from './lib/load.ts';
import { type BenchResult, cpuRow, rateRow, runIfMain, timeRow } from './lib/report.ts';
import { MODELS, startBare, startModelGate, submitJob } from './lib/servers.ts';

const CONNECTIONS = 100;
const ROUNDS = 3;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);

export async function statusPollBench(): Promise<BenchResult> {
  const [bare, gate] = await Promise.all([startBare(), startModelGate({ workers: 0 })]);
  try {
    const id = await submitJob(gate, MODELS.seedream, { prompt: 'bench' });
    const { base, status } = await interleaved(
      {
        base: { url: `${bare.url}/bare`, connections: CONNECTIONS, serverPid: bare.pid },
        status: { url: `${gate.url}/v1/requests/${id}/status`, headers: gate.auth, connections: CONNECTIONS, serverPid: gate.pid },
      },
      { rounds: ROUNDS, seconds: SECONDS },
    );
    console.log(describeLoad('bare GET /bare', base));
    console.log(describeLoad('GET …/status', status));

    const cost = base.rps / status.rps;
    const notes = [`${CONNECTIONS} connections; ${ROUNDS} rounds of ${SECONDS} s each, bare and poll taking turns, after a 2 s warm-up each; the polled job is queued (position 0), so each poll also counts the queue ahead of it.`];
    if (status.ok !== status.responses) notes.push(`NOT ALL POLLS ANSWERED 200: ${JSON.stringify(status.statusCodes)}`);
    const baseline = (value: number) => ({ name: 'bare GET', value });
    return {
      name: 'status poll',
      rows: [
        rateRow('throughput', status.rps, baseline(base.rps), { target: '≤ 1.5× bare', met: cost <= 1.5 }),
        timeRow('latency p50', status.p50, baseline(base.p50)),
        timeRow('latency p99', status.p99, baseline(base.p99)),
        cpuRow('server CPU per answer', status.serverCpuUsPerReq!, baseline(base.serverCpuUsPerReq!)),
      ],
      notes,
    };
  } finally {
    await Promise.all([bare.stop(), gate.stop()]);
  }
}

await runIfMain(import.meta.url, statusPollBench);
