/**
 * Benchmark 4: memory. RSS (from /proc) of an idle `modelgate serve` running the compiled
 * JavaScript in dist/ on plain Node (as `npm start` and an installed package run it), then while
 * 1,000 concurrent pollers (autocannon, 1,000 connections) GET one job's status in two equal
 * phases, then once they have gone. The bare Fastify server (plain Node too) goes through the
 * same steps as the baseline. Target: ≤ 130 MB idle, flat under the pollers.
 *
 * Leak or warm-up: both servers run with --expose-gc and bench/lib/gc-probe.mjs, which forces a
 * full collection on SIGUSR2 and reports the heap still reachable. That heap is read at idle and
 * after each phase: a leak keeps growing from the first phase to the second; warm-up (JIT code,
 * Fastify's and V8's caches, the allocator keeping freed pages) grows RSS in the first phase only
 * and leaves the reachable heap where it was. The verdict is printed as a note.
 *   node --import tsx bench/memory.ts        (BENCH_MEMORY_SECONDS: seconds per phase, default 10)
 * BENCH_MEMORY_RUN_FROM=src runs the server from the TypeScript sources through tsx instead, as
 * every process ran before dist/ existed: the "before" figure of docs/benchmarks.md.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
// @ts-expect-error: plain .mjs, no types
import { distState } from '../bin/dist-state.mjs';
// @ts-expect-error: plain .mjs, no types
import { build } from '../scripts/build.mjs';
import { load, type LoadOptions } from './lib/load.ts';
import { type BenchResult, runIfMain } from './lib/report.ts';
import { MODELS, ROOT, rssMb, type ServerProcess, sleep, startBare, startModelGate, submitJob } from './lib/servers.ts';

const POLLERS = 1_000;
const SECONDS = Number(process.env.BENCH_MEMORY_SECONDS ?? 10);
const SETTLE_MS = 5_000;
const MB = 1024 * 1024;
const GC_ARGS = ['--expose-gc', '--import', pathToFileURL(join(ROOT, 'bench/lib/gc-probe.mjs')).href];

interface Reachable {
  /** V8 heap plus memory held by JS objects outside it (Buffers), after a full GC, MB. */
  heap: number;
  rss: number;
}

interface Phase {
  peak: number;
  /** Mean RSS over the first and the last quarter of the phase: equal means flat. */
  firstQuarter: number;
  lastQuarter: number;
  answers: number;
  rps: number;
  errors: number;
  /** After the phase, after a forced full GC. */
  after: Reachable;
}

interface MemoryProfile {
  idle: number;
  idleReachable: Reachable;
  phases: [Phase, Phase];
  settled: number;
}

async function steadyRss(pid: number, ms = 1_000): Promise<number> {
  const samples: number[] = [];
  for (let waited = 0; waited < ms; waited += 100) {
    samples.push(rssMb(pid));
    await sleep(100);
  }
  return samples.reduce((a, b) => a + b, 0) / samples.length;
}

/** Asks the server's gc-probe for a full GC and the heap still reachable. */
async function reachable(server: ServerProcess, probeFile: string): Promise<Reachable> {
  const before = existsSync(probeFile) ? readFileSync(probeFile, 'utf8').split('\n').filter(Boolean).length : 0;
  process.kill(server.pid, 'SIGUSR2');
  for (let waited = 0; waited < 15_000; waited += 50) {
    await sleep(50);
    const lines = existsSync(probeFile) ? readFileSync(probeFile, 'utf8').split('\n').filter(Boolean) : [];
    if (lines.length > before) {
      const probe = JSON.parse(lines.at(-1)!) as { heapUsed: number; external: number; rss: number };
      return { heap: (probe.heapUsed + probe.external) / MB, rss: probe.rss / MB };
    }
  }
  throw new Error(`the gc probe of pid ${server.pid} did not answer (is it started with ${GC_ARGS.join(' ')}?)`);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function phase(server: ServerProcess, target: LoadOptions, probeFile: string): Promise<Phase> {
  const samples: number[] = [];
  const sampler = setInterval(() => samples.push(rssMb(server.pid)), 250);
  const result = await load({ ...target, connections: POLLERS, duration: SECONDS, timeoutSeconds: 30 });
  clearInterval(sampler);
  const quarter = Math.max(1, Math.floor(samples.length / 4));
  return {
    peak: Math.max(...samples),
    firstQuarter: mean(samples.slice(0, quarter)),
    lastQuarter: mean(samples.slice(-quarter)),
    answers: result.responses,
    rps: result.rps,
    errors: result.errors + result.timeouts,
    after: await reachable(server, probeFile),
  };
}

async function profile(server: ServerProcess, target: LoadOptions, probeFile: string): Promise<MemoryProfile> {
  // Warm the route first, so idle means "has served requests", as in production.
  await load({ ...target, connections: 10, duration: 1 });
  await sleep(1_000);
  const idle = await steadyRss(server.pid);
  const idleReachable = await reachable(server, probeFile);
  const first = await phase(server, target, probeFile);
  const second = await phase(server, target, probeFile);
  await sleep(SETTLE_MS);
  return { idle, idleReachable, phases: [first, second], settled: await steadyRss(server.pid) };
}

/** Flat: within max(10 MB, 10 %). */
const flat = (from: number, to: number) => Math.abs(to - from) <= Math.max(10, 0.1 * from);

/** Leak, warm-up or flat, from the two phases and the heap reachable after each. */
export function verdict(p: MemoryProfile): { kind: 'leak' | 'warm-up' | 'flat'; text: string } {
  const [a, b] = p.phases;
  const heapGrowth = b.after.heap - a.after.heap;
  const sign = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)} MB`;
  const heaps = `reachable heap after a forced GC: idle ${p.idleReachable.heap.toFixed(1)} MB, after phase 1 ${a.after.heap.toFixed(1)} MB, after phase 2 ${b.after.heap.toFixed(1)} MB`;
  // A leak of even 200 bytes per answer keeps 4 MB of 20,000 answers; less is GC noise (a bare
  // Fastify server was seen to vary by 2.6 MB between two probes).
  if (heapGrowth > Math.max(4, 0.1 * a.after.heap)) {
    return { kind: 'leak', text: `leak: the heap still reachable after a full GC grew ${sign(heapGrowth)} from phase 1 to phase 2 (${heaps})` };
  }
  const rssA = a.lastQuarter - a.firstQuarter;
  const rssB = b.lastQuarter - b.firstQuarter;
  if (!flat(p.idle, a.lastQuarter) || !flat(a.firstQuarter, a.lastQuarter)) {
    return { kind: 'warm-up', text: `warm-up, not a leak: RSS rose ${sign(a.lastQuarter - p.idle)} from idle by the end of phase 1 (drift within it ${sign(rssA)}), ${sign(rssB)} within phase 2, and the ${heaps}` };
  }
  return { kind: 'flat', text: `flat: RSS drift ${sign(rssA)} in phase 1, ${sign(rssB)} in phase 2; ${heaps}` };
}

function describe(name: string, p: MemoryProfile): string {
  const f = (x: number) => `${x.toFixed(1)} MB`;
  const phases = p.phases.map((ph, i) => `phase ${i + 1}: peak ${f(ph.peak)}, quarters ${f(ph.firstQuarter)} → ${f(ph.lastQuarter)}, heap after GC ${f(ph.after.heap)} (${ph.answers} answers, ${ph.rps.toFixed(0)}/s${ph.errors ? `, ${ph.errors} errors` : ''})`);
  return `${name.padEnd(14)} idle ${f(p.idle)} (heap after GC ${f(p.idleReachable.heap)})\n  ${phases.join('\n  ')}\n  settled ${f(p.settled)}`;
}

export async function memoryBench(): Promise<BenchResult> {
  // Measure what users run: dist/, built now if it is missing or older than the sources.
  const runFrom = process.env.BENCH_MEMORY_RUN_FROM === 'src' ? 'src' : 'dist';
  if (runFrom === 'dist' && !(distState as () => { fresh: boolean })().fresh) (build as () => void)();

  const probeDir = join(ROOT, '.tmp');
  const gateProbe = join(probeDir, `gc-probe-gate-${process.pid}.jsonl`);
  const bareProbe = join(probeDir, `gc-probe-bare-${process.pid}.jsonl`);
  mkdirSync(probeDir, { recursive: true });
  writeFileSync(gateProbe, '');
  writeFileSync(bareProbe, '');

  // The default install's shape: in-process workers on (2); every model on a plain-JavaScript engine.
  const gate = await startModelGate({
    workers: 2,
    engineModule: join(ROOT, 'bench/lib/plain-engine.mjs'),
    nodeArgs: GC_ARGS,
    env: { MODELGATE_RUN_FROM: runFrom, BENCH_GC_PROBE_FILE: gateProbe },
  });
  let real: MemoryProfile;
  try {
    const id = await submitJob(gate, MODELS.seedream, { prompt: 'bench' });
    real = await profile(gate, { url: `${gate.url}/v1/requests/${id}/status`, headers: gate.auth, connections: POLLERS }, gateProbe);
  } finally {
    await gate.stop();
  }
  console.log(describe('modelgate', real));
  const bare = await startBare({ nodeArgs: GC_ARGS, env: { BENCH_GC_PROBE_FILE: bareProbe } });
  let base: MemoryProfile;
  try {
    base = await profile(bare, { url: `${bare.url}/bare`, connections: POLLERS }, bareProbe);
  } finally {
    await bare.stop();
  }
  console.log(describe('bare fastify', base));
  rmSync(gateProbe, { force: true });
  rmSync(bareProbe, { force: true });

  const mb = (metric: string, value: number, baseline: number, extra: { target?: string; met?: boolean } = {}) => ({
    metric,
    value,
    unit: 'MB',
    baseline: { name: 'bare', value: baseline },
    cost: value / baseline,
    ...extra,
  });
  const [a, b] = real.phases;
  const [baseA, baseB] = base.phases;
  const found = verdict(real);
  const bareFound = verdict(base);
  console.log(`modelgate: ${found.text}\nbare: ${bareFound.text}`);
  return {
    name: 'memory (RSS)',
    rows: [
      mb('idle', real.idle, base.idle, { target: '≤ 130 MB', met: real.idle <= 130 }),
      mb('reachable heap after a forced GC, idle', real.idleReachable.heap, base.idleReachable.heap),
      mb(`peak under ${POLLERS} pollers (2 phases)`, Math.max(a.peak, b.peak), Math.max(baseA.peak, baseB.peak)),
      mb('mean RSS, first quarter of phase 1', a.firstQuarter, baseA.firstQuarter),
      mb('mean RSS, last quarter of phase 1', a.lastQuarter, baseA.lastQuarter),
      mb('mean RSS, first quarter of phase 2', b.firstQuarter, baseB.firstQuarter),
      mb('mean RSS, last quarter of phase 2', b.lastQuarter, baseB.lastQuarter, { target: 'flat', met: flat(b.firstQuarter, b.lastQuarter) }),
      mb('reachable heap after a forced GC, after phase 1', a.after.heap, baseA.after.heap),
      mb('reachable heap after a forced GC, after phase 2', b.after.heap, baseB.after.heap, { target: 'no growth (no leak)', met: found.kind !== 'leak' }),
      mb(`settled, ${SETTLE_MS / 1000} s after`, real.settled, base.settled),
    ],
    notes: [
      `${POLLERS} connections polling one job's status in two phases of ${SECONDS} s (${a.rps.toFixed(0)}/s and ${b.rps.toFixed(0)}/s; bare ${baseA.rps.toFixed(0)}/s and ${baseB.rps.toFixed(0)}/s), RSS sampled every 250 ms; "flat" = last-quarter mean within max(10 MB, 10 %) of the first-quarter mean.`,
      `ModelGate: ${found.text}. Bare: ${bareFound.text}.`,
      `The server runs from ${runFrom === 'dist' ? 'dist/ on plain Node' : 'src/ through tsx'} with its default 2 in-process workers (idle), every model on bench/lib/plain-engine.mjs; both servers run with --expose-gc and the gc probe (a forced GC only when the bench asks).`,
    ],
  };
}

await runIfMain(import.meta.url, memoryBench);
