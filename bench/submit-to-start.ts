/**
 * Benchmark 3: submit-to-start latency with an idle in-process worker (MODELGATE_WORKERS=1,
 * synchronous=FULL). One job at a time: the time a submit request is sent is taken here, the
 * time the engine's run() was entered is recorded in the server by bench/lib/timing-engine.ts
 * (the test engine double, wrapped), both on CLOCK_MONOTONIC, which every process shares. The
 * next job is sent only once the previous one has completed, so the worker is idle each time.
 * Baseline: the round trip of POST /echo on the bare Fastify server, same client, same count.
 * Target: median ≤ 5 ms.
 *   node --import tsx bench/submit-to-start.ts
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { type BenchResult, runIfMain, timeRow } from './lib/report.ts';
import { MODELS, sleep, startBare, startModelGate } from './lib/servers.ts';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 500);
const WARMUP = 50;
/** Pause after each job completes before the next submit, so the worker is truly idle. */
const IDLE_GAP_MS = 10;

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** A minimal keep-alive HTTP call, so client overhead stays small and steady. */
function call(url: string, method: 'GET' | 'POST', headers: Record<string, string>, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: body ? { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : headers, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted.at(-1)!, n: sorted.length };
}

const ms = (ns: bigint) => Number(ns) / 1e6;

export async function submitToStartBench(): Promise<BenchResult> {
  // Baseline first: the bare route's round trip with the same client.
  const bare = await startBare();
  const rtt: number[] = [];
  try {
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      const sent = process.hrtime.bigint();
      const res = await call(`${bare.url}/echo`, 'POST', {}, '{"prompt":"bench"}');
      const took = ms(process.hrtime.bigint() - sent);
      if (res.status !== 200) throw new Error(`bare echo answered ${res.status}`);
      if (i >= WARMUP) rtt.push(took);
    }
  } finally {
    await bare.stop();
  }

  const gate = await startModelGate({ workers: 1, synchronous: 'FULL' });
  const sentAt = new Map<string, bigint>();
  const submitRtt: number[] = [];
  let records = '';
  try {
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      const sent = process.hrtime.bigint();
      const res = await call(`${gate.url}/v1/models/${MODELS.dreamina}`, 'POST', gate.auth, JSON.stringify({ prompt: `bench ${i}` }));
      const answered = process.hrtime.bigint();
      if (res.status !== 200) throw new Error(`submit answered ${res.status}: ${res.body}`);
      const id = (JSON.parse(res.body) as { request_id: string }).request_id;
      if (i >= WARMUP) {
        sentAt.set(id, sent);
        submitRtt.push(ms(answered - sent));
      }
      // Wait until the job has finished, so the worker is idle again for the next one.
      const deadline = Date.now() + 5_000;
      for (;;) {
        const status = await call(`${gate.url}/v1/requests/${id}/status`, 'GET', gate.auth);
        if ((JSON.parse(status.body) as { status: string }).status === 'completed') break;
        if (Date.now() > deadline) throw new Error(`job ${id} did not complete within 5 s: ${status.body}`);
        await sleep(1);
      }
      // Let the attempt finish its tail (output files, scratch folder, the next empty claim).
      await sleep(IDLE_GAP_MS);
    }
    await sleep(50);
  } finally {
    agent.destroy();
    // The record file lives in the server's temp folder; read it before stop() removes it.
    records = readFileSync(gate.recordFile, 'utf8');
    await gate.stop();
  }

  const started: number[] = [];
  for (const line of records.split('\n')) {
    const [id, entered] = line.split(' ');
    const sent = id ? sentAt.get(id) : undefined;
    if (sent !== undefined && entered) started.push(ms(BigInt(entered) - sent));
  }
  const s = stats(started);
  const b = stats(rtt);
  const sub = stats(submitRtt);
  console.log(`submit → run() entered: p50 ${s.p50.toFixed(2)} ms  p95 ${s.p95.toFixed(2)} ms  p99 ${s.p99.toFixed(2)} ms  max ${s.max.toFixed(2)} ms  (${s.n} jobs)`);
  console.log(`submit round trip:      p50 ${sub.p50.toFixed(2)} ms  p95 ${sub.p95.toFixed(2)} ms  p99 ${sub.p99.toFixed(2)} ms`);
  console.log(`bare POST round trip:   p50 ${b.p50.toFixed(2)} ms  p95 ${b.p95.toFixed(2)} ms  p99 ${b.p99.toFixed(2)} ms`);
  const baseline = (value: number) => ({ name: 'bare POST round trip', value });
  return {
    name: 'submit-to-start',
    rows: [
      timeRow('submit → run() entered, median', s.p50, baseline(b.p50), { target: '≤ 5 ms median', met: s.p50 <= 5 }),
      timeRow('submit → run() entered, p95', s.p95, baseline(b.p95)),
      timeRow('submit → run() entered, p99', s.p99, baseline(b.p99)),
      timeRow('submit round trip (200 received), median', sub.p50, baseline(b.p50)),
    ],
    notes: [
      `${s.n} jobs one at a time (after ${WARMUP} warm-up jobs), each sent once the previous one completed; synchronous=FULL, 1 in-process worker; the wait includes the insert's group commit (fsync), the wake-up, the claim's commit (fsync) and the attempt's set-up.`,
      ...(s.n !== SAMPLES ? [`ONLY ${s.n} OF ${SAMPLES} JOBS WERE RECORDED AS STARTED`] : []),
    ],
  };
}

await runIfMain(import.meta.url, submitToStartBench);
