/**
 * `modelgate serve` (API plus in-process workers) and `modelgate worker` (workers only). Both
 * run the housekeeping (lease sweeper, upload janitor, orphan reaper) and shut down gracefully on SIGINT/SIGTERM: stop taking work, let running
 * jobs finish within the grace period, release the rest to the queue. A second signal exits now.
 */
import type { FastifyInstance } from 'fastify';
import type { Server as HttpsServer } from 'node:https';
import { buildApp } from '../api/app.ts';
import type { Config } from '../config.ts';
import { StartupError } from '../config-error.ts';
import { type Context, createContext } from '../context.ts';
import { ensureDataDir } from '../data-dir.ts';
import { startMetricsServer } from '../metrics/metrics-server.ts';
import { loadTlsMaterial } from '../tls/material.ts';
import { reloadTlsOnSighup } from '../tls/reload.ts';
import { tlsWarnings } from '../tls/warnings.ts';
import { JANITOR_INTERVAL_MS, startJanitor } from '../worker/janitor.ts';
import { startOrphanReaper } from '../worker/orphan-reaper.ts';
import { startSweeper } from '../worker/sweeper.ts';
import { WorkerPool } from '../worker/worker-pool.ts';
import { ensureFirstKey } from './first-key.ts';

/**
 * What a process must release on shutdown, newest first (the API starts answering 503 before the
 * workers stop, the workers stop before the socket closes, the store closes last). The signal handlers are installed before
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

/** Why a listen failed, in words an operator can act on. */
const LISTEN_REASONS: Record<string, string> = {
  EADDRINUSE: 'another process is already listening there',
  EACCES: 'this user may not listen on that port',
  EADDRNOTAVAIL: 'that address is not one of this machine\'s',
  ENOTFOUND: 'that host name does not resolve',
};

async function listen(app: FastifyInstance, config: Config): Promise<void> {
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    const reason = LISTEN_REASONS[code] ?? (error as Error).message;
    throw new StartupError(`cannot listen on ${config.host}:${config.port} (${code}, ${reason}); set PORT (or HOST) to a free address`);
  }
}

/** Sweeper, janitor and orphan reaper: the housekeeping every serve and worker process does. */
function startHousekeeping(ctx: Context): () => void {
  const stops = [startSweeper(ctx), startJanitor(ctx), startOrphanReaper(ctx, { workIntervalMs: ctx.config.sweepIntervalMs, outputIntervalMs: JANITOR_INTERVAL_MS })];
  return () => stops.forEach((stop) => stop());
}

/**
 * Runs a start-up; if it fails, releases whatever it had opened before the error reaches main
 * (which prints it), so a failed start exits instead of lingering half started.
 */
async function startOrRelease(releasers: Releasers, start: () => Promise<void>): Promise<void> {
  try {
    await start();
  } catch (error) {
    await releasers.releaseAll();
    throw error;
  }
}

/**
 * The socket is taken before any worker starts: a process that cannot serve (busy port, bad
 * data folder) exits before it has claimed a single job. On a signal the releasers run newest
 * first: the API starts answering 503, the workers get their grace, and only then does the
 * socket close.
 */
export async function serve(config: Config): Promise<void> {
  const releasers = new Releasers();
  onSignals(releasers);
  await startOrRelease(releasers, async () => {
    // Checked first: a wrong certificate or key is found before the data folder or store is touched.
    const tls = config.tls && loadTlsMaterial(config.tls);
    ensureDataDir(config.dataDir);
    const ctx = await createContext(config);
    releasers.add(() => ctx.close());
    const draining = new AbortController();
    const app = await buildApp(ctx, { draining: draining.signal, https: tls && { cert: tls.cert, key: tls.key } });
    releasers.add(() => app.close());
    await listen(app, config);
    if (tls && config.tls) {
      reloadTlsOnSighup(app.server as unknown as HttpsServer, config.tls, config.publicUrl, ctx.log);
      for (const warning of tlsWarnings(tls.leaf, config.publicUrl)) ctx.log.warn(warning);
    }
    await ensureFirstKey(ctx);
    releasers.add(startHousekeeping(ctx));
    if (config.workers > 0) {
      const pool = new WorkerPool(ctx, { concurrency: config.workers, shutdownGraceMs: config.shutdownGraceMs });
      pool.start();
      releasers.add(() => pool.stop());
    }
    releasers.add(() => draining.abort());
    for (const engine of ctx.engines.describe()) {
      ctx.log[engine.available ? 'info' : 'warn']({ engine: engine.name, available: engine.available, reason: engine.reason }, 'engine');
    }
    process.stderr.write(`ModelGate is serving ${ctx.catalog.models.length} models at ${config.publicUrl} (workers: ${config.workers}, data: ${config.dataDir})\n`);
    for (const line of engineStartNotices(ctx)) process.stderr.write(`note: ${line}\n`);
  });
}

/** Each start notice of an engine some catalog model is routed to, once (e.g. the bundled text-to-image model's). */
function engineStartNotices(ctx: Context): string[] {
  const notices = new Set<string>();
  for (const model of ctx.catalog.models) {
    const notice = ctx.engines.route(model.id).engine?.startNotice;
    if (notice) notices.add(notice);
  }
  return [...notices];
}

export async function worker(config: Config): Promise<void> {
  const releasers = new Releasers();
  onSignals(releasers);
  await startOrRelease(releasers, async () => {
    ensureDataDir(config.dataDir);
    const ctx = await createContext(config);
    releasers.add(() => ctx.close());
    const concurrency = Math.max(1, config.workers);
    const pool = new WorkerPool(ctx, { concurrency, shutdownGraceMs: config.shutdownGraceMs });
    if (config.metricsPort !== undefined) {
      if (config.metricsToken === undefined) throw new StartupError('MODELGATE_METRICS_PORT is set but MODELGATE_METRICS_TOKEN is not; /metrics needs a token');
      const metricsServer = await startMetricsServer(ctx.metrics.registry, config.host, config.metricsPort, config.metricsToken);
      releasers.add(() => new Promise((resolve) => metricsServer.close(resolve)));
    }
    releasers.add(startHousekeeping(ctx));
    pool.start();
    releasers.add(() => pool.stop());
    ctx.log.info({ worker: pool.id, concurrency }, 'worker started');
  });
}
