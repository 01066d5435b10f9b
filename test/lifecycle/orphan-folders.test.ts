/**
 * A killed worker leaves its attempt's scratch folder (work/<id>-<attempt>) and possibly output
 * files no job points at. Another process removes them once that attempt can no longer settle,
 * and keeps the folders of the attempt that is running now.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { MODEL_IDS as MODELS } from '../support/models.ts';
import { api, poll, Processes } from '../support/processes.ts';

const procs = new Processes();
after(() => procs.cleanup());

test("a killed worker's leftover folders are removed; a live attempt's are kept", async () => {
  const install = procs.install({ MODELGATE_LEASE_MS: '1000', MODELGATE_SWEEP_INTERVAL_MS: '200', MODELGATE_POLL_INTERVAL_MS: '50', MODELGATE_SHUTDOWN_GRACE_MS: '0' });
  const server = await procs.serve(install, { MODELGATE_WORKERS: '0' });
  const client = api(server.url, server.apiKey);
  // 'scratch': the engine writes into its work dir, which is only made when something uses it.
  const id = (await client.submit(MODELS.dreamina, { prompt: 'scratch hang' })).json.request_id as string;
  const work = (attempt: number) => join(install.dataDir, 'work', `${id}-${attempt}`);
  const outputs = join(install.dataDir, 'blobs', 'outputs', id);

  const plant = (folder: string) => {
    mkdirSync(join(outputs, folder), { recursive: true });
    writeFileSync(join(outputs, folder, '0.png'), 'not referenced by the job');
    return join(outputs, folder);
  };

  const doomed = await procs.worker(install, { MODELGATE_WORKERS: '1' }, 'doomed worker');
  // Killed once its engine runs (it makes the scratch folder just before): killed earlier, the
  // execution log would never show attempt 1 and the next step could not count to two.
  await poll(async () => install.executions().get(id) ?? [], (runs) => runs.includes(1));
  await doomed.kill('SIGKILL');
  assert.ok(existsSync(work(1)), 'a killed process leaves its scratch folder');

  // The next worker takes the job over once the lease runs out (attempt 2) and reaps attempt 1's scratch folder.
  const next = await procs.worker(install, { MODELGATE_WORKERS: '1' }, 'next worker');
  await poll(async () => install.executions().get(id) ?? [], (runs) => runs.includes(2));
  await poll(async () => existsSync(work(1)), (exists) => !exists, 5_000);
  assert.ok(existsSync(work(2)), "the running attempt's scratch folder is kept");

  // Output folders as attempts leave them when killed between storing and settling: attempt 1's
  // can never settle now; attempt 2 is running and may still. A process starting now reaps.
  const lost = plant('1-0123456789abcdef0123456789abcdef');
  const live = plant('2-fedcba9876543210fedcba9876543210');
  const observer = await procs.worker(install, { MODELGATE_WORKERS: '1' }, 'observer');
  await poll(async () => existsSync(lost), (exists) => !exists, 5_000);
  assert.ok(existsSync(live), "the running attempt's outputs are kept");
  await observer.kill('SIGTERM');

  // Released at shutdown, then cancelled: no attempt can settle any more, so the next process
  // to start removes the rest, the job's emptied folder included.
  assert.deepEqual(await next.kill('SIGTERM'), { code: 0, signal: null }, next.describe());
  assert.equal((await client.cancel(id)).json.outcome, 'cancelled');
  assert.ok(existsSync(live));
  const last = await procs.worker(install, { MODELGATE_WORKERS: '1' }, 'last worker');
  await poll(async () => existsSync(outputs), (exists) => !exists, 5_000);
  assert.ok(!existsSync(work(2)));
  await last.kill('SIGTERM');
});
