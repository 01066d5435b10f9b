/**
 * Q6 (reliability-anchors §6): an acknowledged submission is durable. A real `modelgate serve`
 * takes a stream of concurrent submits while its in-process workers run them; right after the
 * N-th 200 arrives it is killed with SIGKILL (submits still in flight, jobs still running). After
 * a restart on the same data dir, every acknowledged request_id must still be there and run to
 * `succeeded`. Printed figure: attempted / acknowledged / lost / recovered / duplicated.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { MODEL_IDS as MODELS } from '../support/models.ts';
import { api, poll, Processes } from '../support/processes.ts';

const ACKNOWLEDGED_BEFORE_KILL = 200;
const IN_FLIGHT = 48;

const procs = new Processes();
after(() => procs.cleanup());

test('SIGKILL of serve right after 200 acknowledged submits: lost = 0, all complete after restart', async () => {
  const install = procs.install({ MODELGATE_LEASE_MS: '1000', MODELGATE_SWEEP_INTERVAL_MS: '200', MODELGATE_LOG_LEVEL: 'warn' });
  const first = await procs.serve(install, { MODELGATE_WORKERS: '2' });
  const key = first.apiKey!;
  const client = api(first.url, key);

  // Keep IN_FLIGHT submits open; the moment the N-th acknowledgement arrives, SIGKILL the server.
  const acknowledged: string[] = [];
  let attempted = 0;
  let refused = 0;
  let killedAt = 0;
  let ackedAtKill = 0;
  const t0 = Date.now();
  const submitOne = async (): Promise<void> => {
    while (!killedAt) {
      attempted++;
      try {
        const res = await client.submit(MODELS.dreamina, { prompt: `sleep=20 job ${attempted}` });
        if (res.status !== 200) throw new Error(`submit answered ${res.status}: ${res.text}`);
        acknowledged.push(res.json.request_id);
        if (acknowledged.length >= ACKNOWLEDGED_BEFORE_KILL && !killedAt) {
          killedAt = Date.now();
          ackedAtKill = acknowledged.length;
          first.process.kill('SIGKILL');
        }
      } catch (error) {
        if (!killedAt) throw error;
        refused++; // in flight when the server died: never acknowledged, so it may or may not exist
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, submitOne));
  const exit = await first.exited;
  assert.equal(exit.signal, 'SIGKILL');
  const submitMs = killedAt - t0;

  const t1 = Date.now();
  const second = await procs.serve(install, { MODELGATE_WORKERS: '4' }, 'serve (restarted)');
  assert.equal(second.apiKey, undefined, 'a restart prints no new key');
  const after = api(second.url, key);

  const restartMs = Date.now() - t1;
  const missing: string[] = [];
  await Promise.all(acknowledged.map(async (id) => {
    const res = await after.status(id);
    if (res.status !== 200) missing.push(id);
  }));
  assert.deepEqual(missing, [], 'every acknowledged request_id survives the SIGKILL');

  const started = Date.now();
  const pending = new Set(acknowledged);
  await poll(async () => {
    await Promise.all([...pending].map(async (id) => {
      if ((await after.status(id)).json.status === 'completed') pending.delete(id);
    }));
    return pending.size;
  }, (left) => left === 0, 30_000, 100);
  const drainMs = Date.now() - started;
  const results = await Promise.all(acknowledged.map((id) => after.result(id).then((r) => r.json.status as string)));
  const succeeded = results.filter((status) => status === 'succeeded').length;
  assert.equal(succeeded, acknowledged.length, `results: ${JSON.stringify(results.filter((s) => s !== 'succeeded'))}`);

  const db = new BetterSqlite3(join(install.dataDir, 'modelgate.db'), { readonly: true, fileMustExist: true });
  const stored = (db.prepare('SELECT count(*) AS n FROM jobs').get() as { n: number }).n;
  db.close();
  const runs = install.executions();
  const duplicated = acknowledged.filter((id) => (runs.get(id)?.length ?? 0) > 1).length;
  const neverRan = acknowledged.filter((id) => !runs.has(id)).length;
  assert.equal(neverRan, 0);

  console.log(
    `Q6 submit durability (SQLite, synchronous=FULL, the default): ` +
      `attempted=${attempted} (over ${submitMs} ms, ${IN_FLIGHT} in flight), acknowledged=${acknowledged.length} (${ackedAtKill} when SIGKILL was sent), lost=${missing.length}, ` +
      `recovered (committed but never acknowledged)=${stored - acknowledged.length}, refused in flight=${refused}, ` +
      `completed after restart=${succeeded}/${acknowledged.length} in ${drainMs} ms (restart to serving ${restartMs} ms), duplicated executions=${duplicated} (jobs running at the kill, re-run after their lease)`,
  );
  await second.kill('SIGTERM');
});
