/**
 * Q1/Q2 (reliability-anchors §6): workers are `modelgate worker` processes against one SQLite
 * data dir, killed with SIGKILL mid-job. Their jobs must come back (lease + sweep) and complete
 * on another worker, and a job that kills its worker on every attempt must end `failed` with
 * `worker_lost` after exactly MODELGATE_MAX_ATTEMPTS attempts. Printed figures: lost, duplicated
 * executions, time from SIGKILL to re-claim against the bound lease + sweep + poll interval.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MODEL_IDS as MODELS } from '../support/models.ts';
import { api, type Child, type Install, poll, Processes, type Server } from '../support/processes.ts';

const LEASE_MS = 1000;
const SWEEP_MS = 200;
const POLL_MS = 50;
const MAX_ATTEMPTS = 3;

describe('worker processes killed mid-job (SQLite)', () => {
  const procs = new Processes();
  let install: Install;
  let server: Server;
  let client: ReturnType<typeof api>;

  before(async () => {
    install = procs.install({
      MODELGATE_LEASE_MS: String(LEASE_MS),
      MODELGATE_SWEEP_INTERVAL_MS: String(SWEEP_MS),
      MODELGATE_POLL_INTERVAL_MS: String(POLL_MS),
      MODELGATE_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
    });
    // The API alone: every job runs in a worker process.
    server = await procs.serve(install, { MODELGATE_WORKERS: '0', MODELGATE_LOG_LEVEL: 'warn' });
    client = api(server.url, server.apiKey);
  });
  after(() => procs.cleanup());

  const submit = async (prompt: string): Promise<string> => {
    const res = await client.submit(MODELS.dreamina, { prompt });
    assert.equal(res.status, 200, res.text);
    return res.json.request_id as string;
  };
  const statusOf = async (id: string): Promise<string> => (await client.status(id)).json.status as string;

  test('SIGKILL of a worker with jobs in flight: another worker re-claims and completes them (lost = 0)', async () => {
    const JOBS = 8;
    const IN_FLIGHT = 4;
    // The survivor is started first and frozen (SIGSTOP), so that it neither takes the jobs from
    // the worker to be killed nor adds its start-up time to the re-claim time; it is thawed at the kill.
    const survivor = await procs.worker(install, { MODELGATE_WORKERS: String(JOBS) }, 'worker 2 (survivor)');
    survivor.process.kill('SIGSTOP');
    const doomed = await procs.worker(install, { MODELGATE_WORKERS: String(IN_FLIGHT) }, 'worker 1 (to be killed)');
    const ids: string[] = [];
    for (let i = 0; i < JOBS; i++) ids.push(await submit(`sleep=2000 job ${i}`));
    // Four claimed and their engines started (the test engine logs attempt 1 as it starts).
    const statuses = await poll(
      () => Promise.all(ids.map(statusOf)),
      (s) => s.filter((x) => x === 'in_progress').length === IN_FLIGHT && ids.every((id, i) => s[i] !== 'in_progress' || install.executions().has(id)),
    );
    const victims = ids.filter((_, i) => statuses[i] === 'in_progress');

    const killedAt = Date.now();
    doomed.process.kill('SIGKILL');
    survivor.process.kill('SIGCONT');
    const exit = await doomed.exited;
    assert.equal(exit.signal, 'SIGKILL');

    // Re-claim = the test engine's log shows attempt 2 of the job (it appends at the start of a run).
    const reclaimedAt = new Map<string, number>();
    await poll(async () => {
      const runs = install.executions();
      for (const id of victims) if (!reclaimedAt.has(id) && runs.get(id)?.includes(2)) reclaimedAt.set(id, Date.now());
      return reclaimedAt.size;
    }, (n) => n === victims.length, 15_000, 10);
    await poll(() => Promise.all(ids.map(statusOf)), (s) => s.every((x) => x === 'completed'), 15_000, 50);
    const results = await Promise.all(ids.map(async (id) => (await client.result(id)).json.status as string));
    assert.deepEqual(results, ids.map(() => 'succeeded'));

    const runs = install.executions();
    const duplicated = ids.reduce((n, id) => n + (runs.get(id)!.length - 1), 0);
    for (const id of victims) assert.deepEqual(runs.get(id), [1, 2], `victim ${id}`);
    for (const id of ids.filter((id) => !victims.includes(id))) assert.deepEqual(runs.get(id), [1]);

    const delays = victims.map((id) => reclaimedAt.get(id)! - killedAt).sort((a, b) => a - b);
    const bound = LEASE_MS + SWEEP_MS + POLL_MS;
    const pct = (p: number) => delays[Math.min(delays.length - 1, Math.ceil((p / 100) * delays.length) - 1)];
    console.log(
      `Q1 worker SIGKILL (SQLite): jobs=${JOBS}, in flight at the kill=${IN_FLIGHT}, acknowledged=${JOBS}, completed=${results.length}, lost=0, unexpected=0, ` +
        `duplicated executions=${duplicated} (each killed attempt re-ran once), recovered=${victims.length}`,
    );
    console.log(
      `Q2 time from SIGKILL to re-claim: p50=${pct(50)} ms, p95=${pct(95)} ms, max=${delays.at(-1)} ms; ` +
        `bound = lease ${LEASE_MS} + sweep ${SWEEP_MS} + poll ${POLL_MS} = ${bound} ms; over the bound: ${delays.filter((d) => d > bound).length}/${delays.length}`,
    );
    // A generous bound only: the figure above is the measurement; this catches "never re-claimed in time".
    assert.ok(delays.at(-1)! < 10_000, `re-claim took ${delays.at(-1)} ms`);
    assert.deepEqual(await survivor.kill('SIGTERM'), { code: 0, signal: null }, survivor.describe());
  });

  test(`a job that kills its worker on every attempt ends failed/worker_lost after ${MAX_ATTEMPTS} attempts`, async () => {
    const id = await submit('exit');
    const deaths: Child[] = [];
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      // Restart workers as they die, like a supervisor would.
      const worker = await procs.worker(install, { MODELGATE_WORKERS: '1' }, `worker for attempt ${attempt}`, false);
      const exit = await Promise.race([
        worker.exited,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`worker for attempt ${attempt} did not die\n${worker.describe()}`)), 15_000)),
      ]);
      assert.equal(exit.signal, 'SIGKILL', worker.describe());
      deaths.push(worker);
      assert.deepEqual(install.executions().get(id), Array.from({ length: attempt }, (_, i) => i + 1));
    }
    // No worker runs now: the API process's own sweeper fails the job once the last lease runs out.
    const status = await poll(() => statusOf(id), (s) => s === 'completed', LEASE_MS + 10_000, 50);
    assert.equal(status, 'completed');
    const result = (await client.result(id)).json;
    assert.equal(result.status, 'failed');
    assert.equal(result.error.type, 'worker_lost');
    assert.match(result.error.message, new RegExp(`claimed ${MAX_ATTEMPTS} time`));
    assert.ok(result.finished_at);
    assert.deepEqual(install.executions().get(id), Array.from({ length: MAX_ATTEMPTS }, (_, i) => i + 1), 'exactly max_attempts executions');

    console.log(`Q8 always-crashing job: attempts=${install.executions().get(id)!.length} (max_attempts=${MAX_ATTEMPTS}), worker deaths=${deaths.length}, final=failed/${result.error.type}`);
  });
});
