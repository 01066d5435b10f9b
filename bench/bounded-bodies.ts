/**
 * Issue 11, "one request stalls everyone": what a hostile or merely large submit costs the server.
 * Against the real server on 127.0.0.1 (workers off, so jobs stay queued), each case is submitted
 * REPS times; for each we read the answer's time and size, the server's own event-loop delay
 * (perf_hooks, preloaded by bench/lib/loop-delay.mjs: the longest the loop was blocked while the
 * request ran) and the slowest of the /healthz probes sent every 5 ms meanwhile. Ratios are to a
 * normal submit.
 *   node --import tsx bench/bounded-bodies.ts
 *   BENCH_SERVER_ROOT=<another checkout> BENCH_REPS=1 node --import tsx bench/bounded-bodies.ts   (before/after)
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataUri, makeImage, padPng } from '../test/support/media.ts';
import { type BenchResult, runIfMain, timeRow, type Row } from './lib/report.ts';
import { MODELS, ROOT, sleep, startModelGate, type ModelGateProcess } from './lib/servers.ts';

const REPS = Number(process.env.BENCH_REPS ?? 5);

interface Case {
  name: string;
  model: string;
  body: string;
}

async function cases(): Promise<Case[]> {
  const keys = Array.from({ length: 1_000_000 }, (_, i) => `"k${i}":0`).join(',');
  const unknown256 = Object.fromEntries(Array.from({ length: 255 }, (_, i) => [`extra_${i}`, i]));
  // A PNG padded to just under the 10 MiB data: URI limit: about 13.3 MB of base64.
  const image = dataUri(padPng(await makeImage(64, 64, 'png'), 10 * 1024 * 1024 - 4096));
  return [
    { name: 'normal submit (baseline)', model: MODELS.seedream, body: JSON.stringify({ prompt: 'a red circle above a blue square' }) },
    { name: '1,000,000 unknown keys', model: MODELS.seedream, body: `{"prompt":"a cat",${keys}}` },
    { name: '255 unknown keys', model: MODELS.seedream, body: JSON.stringify({ prompt: 'a cat', ...unknown256 }) },
    { name: '13 MiB prompt', model: MODELS.seedream, body: JSON.stringify({ prompt: 'p'.repeat(13 * 1024 * 1024) }) },
    { name: '13 MB data: URI (accepted)', model: MODELS.reframe, body: JSON.stringify({ image, resolution: '1152:864 (4:3)' }) },
  ];
}

interface Sample {
  status: number;
  ms: number;
  bytes: number;
  loopMaxMs: number;
  cpuMs: number;
  probeMaxMs: number;
}

/** The server's longest event-loop delay and its CPU time since the last call. */
async function serverSinceLast(server: ModelGateProcess, file: string): Promise<{ loopMaxMs: number; cpuMs: number }> {
  const before = readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
  process.kill(server.pid, 'SIGUSR2');
  for (;;) {
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    if (lines.length > before) {
      const [loopMaxMs, cpuMs] = lines.at(-1)!.split(' ').map(Number);
      return { loopMaxMs: loopMaxMs!, cpuMs: cpuMs! };
    }
    await sleep(5);
  }
}

async function runOnce(server: ModelGateProcess, file: string, test: Case): Promise<Sample> {
  await serverSinceLast(server, file);
  let done = false;
  let probeMaxMs = 0;
  const probes = (async () => {
    while (!done) {
      const started = performance.now();
      await (await fetch(`${server.url}/healthz`)).arrayBuffer();
      probeMaxMs = Math.max(probeMaxMs, performance.now() - started);
      await sleep(5);
    }
  })();
  const started = performance.now();
  const res = await fetch(`${server.url}/v1/models/${test.model}`, { method: 'POST', headers: { ...server.auth, 'content-type': 'application/json' }, body: test.body });
  const answer = Buffer.from(await res.arrayBuffer());
  const ms = performance.now() - started;
  done = true;
  await probes;
  return { status: res.status, ms, bytes: answer.length, ...(await serverSinceLast(server, file)), probeMaxMs };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function boundedBodiesBench(): Promise<BenchResult> {
  const all = await cases();
  const file = join(tmpdir(), `modelgate-bench-loop-delay-${process.pid}.txt`);
  writeFileSync(file, '');
  const server = await startModelGate({ workers: 0, nodeArgs: ['--import', join(ROOT, 'bench/lib/loop-delay.mjs')], env: { MODELGATE_LOG_LEVEL: 'warn', BENCH_LOOP_DELAY_FILE: file } });
  const rows: Row[] = [];
  const notes: string[] = [];
  try {
    const results = new Map<string, Sample[]>();
    for (let rep = 0; rep < REPS; rep++) {
      for (const test of all) {
        const sample = await runOnce(server, file, test);
        results.set(test.name, [...(results.get(test.name) ?? []), sample]);
      }
    }
    const base = results.get(all[0]!.name)!;
    const baseMs = { name: 'normal submit', value: median(base.map((s) => s.ms)) };
    const baseLoop = { name: 'normal submit', value: median(base.map((s) => s.loopMaxMs)) };
    const baseCpu = median(base.map((s) => s.cpuMs));
    process.stdout.write('\n| case | status | answer time (median) | × baseline | answer size | server CPU (median) | × baseline | server loop max delay (median / worst) | × baseline | /healthz probe worst |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n');
    for (const test of all) {
      const samples = results.get(test.name)!;
      const ms = median(samples.map((s) => s.ms));
      const loop = median(samples.map((s) => s.loopMaxMs));
      const worstLoop = Math.max(...samples.map((s) => s.loopMaxMs));
      const probe = Math.max(...samples.map((s) => s.probeMaxMs));
      const cpu = median(samples.map((s) => s.cpuMs));
      const statuses = [...new Set(samples.map((s) => s.status))].join('/');
      process.stdout.write(
        `| ${test.name} (${(test.body.length / 1e6).toFixed(1)} MB body) | ${statuses} | ${ms.toFixed(1)} ms | ${(ms / baseMs.value).toFixed(1)}× | ${samples[0]!.bytes.toLocaleString('en-US')} B | ${cpu.toFixed(1)} ms | ${(cpu / baseCpu).toFixed(1)}× | ${loop.toFixed(1)} / ${worstLoop.toFixed(1)} ms | ${(loop / baseLoop.value).toFixed(1)}× | ${probe.toFixed(1)} ms |\n`,
      );
      if (test !== all[0]) {
        rows.push(timeRow(`${test.name}: answer time`, ms, baseMs, { target: '≤ 1000 ms', met: Math.max(...samples.map((s) => s.ms)) <= 1000 }));
        rows.push(timeRow(`${test.name}: loop max delay`, worstLoop, baseLoop, { target: '≤ 100 ms', met: worstLoop <= 100 }));
        rows.push({ metric: `${test.name}: answer size`, value: samples[0]!.bytes, unit: 'B', target: '≤ 65,536 B', met: samples.every((s) => s.bytes <= 65_536) });
      }
    }
    notes.push(`${REPS} repetitions per case, cases interleaved; the client builds and sends the bodies from the same cores, so loop delays include time the server waited for a core (its CPU time does not)`);
  } finally {
    await server.stop();
    rmSync(file, { force: true });
  }
  return { name: 'bounded bodies', rows, notes };
}

await runIfMain(import.meta.url, boundedBodiesBench);
