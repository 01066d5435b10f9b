/**
 * Benchmark 4: memory. RSS (from /proc) of an idle server, then sampled every 250 ms while 1,000
 * concurrent pollers (autocannon, 1,000 connections) GET one job's status, then again once the
 * pollers have gone. The bare Fastify server goes through the same steps as the baseline.
 * Target: ≤ 200 MB idle, and flat under the pollers.
 *   node --import tsx bench/memory.ts
 */
import { load, type LoadOptions } from './lib/load.ts';
import { type BenchResult, runIfMain } from './lib/report.ts';
import { MODELS, rssMb, type ServerProcess, sleep, startBare, startModelGate, submitJob } from './lib/servers.ts';

const POLLERS = 1_000;
const SECONDS = Number(process.env.BENCH_MEMORY_SECONDS ?? 10);
const SETTLE_MS = 5_000;

interface MemoryProfile {
  idle: number;
  peak: number;
  /** Mean RSS over the first and the last quarter of the load: equal means flat. */
  firstQuarter: number;
  lastQuarter: number;
  settled: number;
  answers: number;
  rps: number;
  errors: number;
}

async function steadyRss(pid: number, ms = 1_000): Promise<number> {
  const samples: number[] = [];
  for (let waited = 0; waited < ms; waited += 100) {
    samples.push(rssMb(pid));
    await sleep(100);
  }
  return samples.reduce((a, b) => a + b, 0) / samples.length;
}

async function profile(server: ServerProcess, target: LoadOptions): Promise<MemoryProfile> {
  // Warm the route first, so idle means "has served requests", as in production.
  await load({ ...target, connections: 10, duration: 1 });
  await sleep(1_000);
  const idle = await steadyRss(server.pid);
  const samples: number[] = [];
  const sampler = setInterval(() => samples.push(rssMb(server.pid)), 250);
  const result = await load({ ...target, connections: POLLERS, duration: SECONDS, timeoutSeconds: 30 });
  clearInterval(sampler);
  await sleep(SETTLE_MS);
  const settled = await steadyRss(server.pid);
  const quarter = Math.max(1, Math.floor(samples.length / 4));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    idle,
    peak: Math.max(...samples),
    firstQuarter: mean(samples.slice(0, quarter)),
    lastQuarter: mean(samples.slice(-quarter)),
    settled,
    answers: result.responses,
    rps: result.rps,
    errors: result.errors + result.timeouts,
  };
}

function describe(name: string, p: MemoryProfile): string {
  const f = (x: number) => `${x.toFixed(1)} MB`;
  return `${name.padEnd(16)} idle ${f(p.idle)}  under ${POLLERS} pollers: peak ${f(p.peak)}, first quarter ${f(p.firstQuarter)}, last quarter ${f(p.lastQuarter)}  settled ${f(p.settled)}  (${p.answers} answers, ${p.rps.toFixed(0)}/s${p.errors ? `, ${p.errors} errors` : ''})`;
}

export async function memoryBench(): Promise<BenchResult> {
  // The default install's shape: in-process workers on (2), every model on the test engine.
  const gate = await startModelGate({ workers: 2 });
  let real: MemoryProfile;
  try {
    const id = await submitJob(gate, MODELS.seedream, { prompt: 'bench' });
    real = await profile(gate, { url: `${gate.url}/v1/requests/${id}/status`, headers: gate.auth, connections: POLLERS });
  } finally {
    await gate.stop();
  }
  console.log(describe('modelgate', real));
  const bare = await startBare();
  let base: MemoryProfile;
  try {
    base = await profile(bare, { url: `${bare.url}/bare`, connections: POLLERS });
  } finally {
    await bare.stop();
  }
  console.log(describe('bare fastify', base));

  const mb = (metric: string, value: number, baseline: number, extra: { target?: string; met?: boolean } = {}) => ({
    metric,
    value,
    unit: 'MB',
    baseline: { name: 'bare', value: baseline },
    cost: value / baseline,
    ...extra,
  });
  const drift = real.lastQuarter - real.firstQuarter;
  return {
    name: 'memory (RSS)',
    rows: [
      mb('idle', real.idle, base.idle, { target: '≤ 200 MB', met: real.idle <= 200 }),
      mb(`peak under ${POLLERS} pollers`, real.peak, base.peak),
      mb('mean RSS, first quarter of the load', real.firstQuarter, base.firstQuarter),
      mb('mean RSS, last quarter of the load', real.lastQuarter, base.lastQuarter, { target: 'flat', met: Math.abs(drift) <= Math.max(10, 0.1 * real.firstQuarter) }),
      mb(`settled, ${SETTLE_MS / 1000} s after`, real.settled, base.settled),
    ],
    notes: [
      `${POLLERS} connections polling one job's status for ${SECONDS} s (${real.rps.toFixed(0)}/s; bare ${base.rps.toFixed(0)}/s), RSS sampled every 250 ms; "flat" = last-quarter mean within max(10 MB, 10 %) of the first-quarter mean (drift here ${drift >= 0 ? '+' : ''}${drift.toFixed(1)} MB).`,
      'The server runs its default 2 in-process workers (idle) with every model routed to the test engine.',
    ],
  };
}

await runIfMain(import.meta.url, memoryBench);
