/**
 * `modelgate serve` (API plus in-process workers) and `modelgate worker` (workers only). Both
 * run the lease sweeper and shut down gracefully on SIGINT/SIGTERM: stop taking work, let running
 * jobs finish within the grace period, release the rest to the queue. A second signal exits now.
 */
import { buildApp } from '../api/app.ts';
import { createApiKey } from '../auth/api-keys.ts';
import type { Config } from '../config.ts';
import { type Context, createContext } from '../context.ts';
import { startJanitor } from '../worker/janitor.ts';
import { startSweeper } from '../worker/sweeper.ts';
import { WorkerPool } from '../worker/worker-pool.ts';

/** On the very first start there is no key yet: make one and show it, once. */
async function ensureFirstKey(ctx: Context): Promise<void> {
  if ((await ctx.store.listApiKeys()).length > 0) return;
  const { key } = await createApiKey(ctx.store, 'default');
  process.stdout.write(
    `\nCreated the first API key. It is shown only this once; keep it somewhere safe:\n\n  MODELGATE_API_KEY=${key}\n\n` +
      `More keys: modelgate keys create --name NAME. List or revoke: modelgate keys list | revoke ID.\n\n`,
  );
}

function onSignals(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`modelgate: second ${signal}, exiting now; running jobs return to the queue when their leases expire\n`);
      process.exit(130);
    }
    stopping = true;
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`modelgate: shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

export async function serve(config: Config): Promise<void> {
  const ctx = await createContext(config);
  await ensureFirstKey(ctx);
  const app = await buildApp(ctx);
  await app.listen({ host: config.host, port: config.port });
  const pool = config.workers > 0 ? new WorkerPool(ctx, { concurrency: config.workers, shutdownGraceMs: config.shutdownGraceMs }) : undefined;
  pool?.start();
  const stopSweeper = startSweeper(ctx);
  const stopJanitor = startJanitor(ctx);
  for (const engine of ctx.engines.describe()) {
    ctx.log[engine.available ? 'info' : 'warn']({ engine: engine.name, available: engine.available, reason: engine.reason }, 'engine');
  }
  process.stdout.write(`ModelGate is serving ${ctx.catalog.models.length} models at ${config.publicUrl} (workers: ${config.workers}, data: ${config.dataDir})\n`);
  onSignals(async () => {
    await app.close();
    await pool?.stop();
    stopSweeper();
    stopJanitor();
    await ctx.close();
  });
}

export async function worker(config: Config): Promise<void> {
  const ctx = await createContext(config);
  const concurrency = Math.max(1, config.workers);
  const pool = new WorkerPool(ctx, { concurrency, shutdownGraceMs: config.shutdownGraceMs });
  pool.start();
  const stopSweeper = startSweeper(ctx);
  const stopJanitor = startJanitor(ctx);
  ctx.log.info({ worker: pool.id, concurrency }, 'worker started');
  onSignals(async () => {
    await pool.stop();
    stopSweeper();
    stopJanitor();
    await ctx.close();
  });
}
