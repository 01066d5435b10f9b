/**
 * One worker process of an anchor queue for bench/pg-queue.ts, with a no-op handler:
 *   node --import tsx bench/lib/anchor-worker.ts graphile|pgboss <database url> <concurrency> <record file> [pg-boss batch]
 * A job whose payload carries `timed` appends "<timed value> <process.hrtime.bigint()>" to the
 * record file as the handler starts, like bench/lib/noop-engine.ts does for ModelGate. Prints
 * "ready" once it takes jobs; stops on SIGTERM.
 */
import { appendFileSync } from 'node:fs';
import { run } from 'graphile-worker';
import PgBoss from 'pg-boss';

const [kind, url, concurrencyText, recordFile, batchText] = process.argv.slice(2);
if (!url || !recordFile || (kind !== 'graphile' && kind !== 'pgboss')) throw new Error('usage: anchor-worker.ts graphile|pgboss <url> <concurrency> <record file>');
const concurrency = Number(concurrencyText);

function started(payload: unknown): void {
  const timed = (payload as { timed?: unknown } | null)?.timed;
  if (typeof timed === 'string') appendFileSync(recordFile!, `${timed} ${process.hrtime.bigint()}\n`);
}

let stop: () => Promise<void>;
if (kind === 'graphile') {
  // Defaults otherwise (LISTEN/NOTIFY wake-ups, 2 s safety poll, info logging), as shipped.
  const runner = await run({ connectionString: url, concurrency, noHandleSignals: true, taskList: { noop: async (payload) => started(payload) } });
  stop = () => runner.stop();
} else {
  // pg-boss has no NOTIFY: each work() loop fetches at most once per polling interval (0.5 s at
  // the shortest), so with one job per fetch 16 loops top out near 32 jobs/s. Its answer is
  // fetching a batch per poll; the handler runs a batch's jobs one after another, so a process
  // still runs `concurrency` jobs at a time.
  const batchSize = Number(batchText ?? 8);
  const boss = new PgBoss({ connectionString: url, max: concurrency + 2, supervise: false, schedule: false });
  boss.on('error', (error) => console.error(error));
  await boss.start();
  for (let slot = 0; slot < concurrency; slot++) {
    await boss.work('noop', { batchSize, pollingIntervalSeconds: 0.5 }, async (jobs) => {
      for (const job of jobs) started(job.data);
    });
  }
  stop = () => boss.stop({ graceful: true, wait: true });
}
console.log('ready');
process.once('SIGTERM', () => void stop().then(() => process.exit(0)));
