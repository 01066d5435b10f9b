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

/**
 * What a process must release on shutdown, newest first (the API closes before the workers it
 * feeds, the workers before the store they write to). The signal handlers are installed before
 * anything is started, so a signal at any moment of start-up still shuts down in order.
 */
class Releasers {
  private readonly stack: Array<() => unknown> = [];

  add(release: () => unknown): void {
    this.stack.push(release);
  }

  async releaseAll(): Promise<void> {
    while (this.stack.length > 0) await this.stack.pop()!();
  }
}

function onSignals(releasers: Releasers): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`modelgate: second ${signal}, exiting now; running jobs return to the queue when their leases expire\n`);
      process.exit(130);
    }
    stopping = true;
    releasers.releaseAll().then(
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
  const releasers = new Releasers();
  onSignals(releasers);
  const ctx = await createContext(config);
  releasers.add(() => ctx.close());
  await ensureFirstKey(ctx);
  const pool = config.workers > 0 ? new WorkerPool(ctx, { concurrency: config.workers, shutdownGraceMs: config.shutdownGraceMs }) : undefined;
  releasers.add(startSweeper(ctx));
  releasers.add(startJanitor(ctx));
  if (pool) {
    pool.start();
    releasers.add(() => pool.stop());
  }
  const app = await buildApp(ctx);
  releasers.add(() => app.close());
  await app.listen({ host: config.host, port: config.port });
  for (const engine of ctx.engines.describe()) {
    ctx.log[engine.available ? 'info' : 'warn']({ engine: engine.name, available: engine.available, reason: engine.reason }, 'engine');
  }
  process.stdout.write(`ModelGate is serving ${ctx.catalog.models.length} models at ${config.publicUrl} (workers: ${config.workers}, data: ${config.dataDir})\n`);
}

export async function worker(config: Config): Promise<void> {
  const releasers = new Releasers();
  onSignals(releasers);
  const ctx = await createContext(config);
  releasers.add(() => ctx.close());
  const concurrency = Math.max(1, config.workers);
  const pool = new WorkerPool(ctx, { concurrency, shutdownGraceMs: config.shutdownGraceMs });
  releasers.add(startSweeper(ctx));
  releasers.add(startJanitor(ctx));
  pool.start();
  releasers.add(() => pool.stop());
  ctx.log.info({ worker: pool.id, concurrency }, 'worker started');
}
