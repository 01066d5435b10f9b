/**
 * Two real ModelGates for the upstream engine's tests: an "upstream" (the harness, listening on
 * a real loopback port, its engines the test engine) reached through a fault proxy, and a "front"
 * whose MODELGATE_CONFIG routes the four models to an `upstream` engine pointed at the proxy. The
 * front is built like createHarness builds one, but with a logger whose output the test can read.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/app.ts';
import { createApiKey } from '../../src/auth/api-keys.ts';
import { createContext, type Context } from '../../src/context.ts';
import { createLogger } from '../../src/logger.ts';
import { WorkerPool } from '../../src/worker/worker-pool.ts';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts';
import { createHarness, MODELS, tempDir, testConfig, waitFor, type Harness } from '../support/harness.ts';
import { createTestEngine } from '../support/test-engine.ts';

export { MODELS, waitFor };

export interface Upstream {
  h: Harness;
  proxy: FaultProxy;
  /** The test engine's execution log: one "<request id> <attempt>" line per run. */
  runs(): string[];
  close(): Promise<void>;
}

/** A ModelGate listening on loopback behind a fault proxy; its public URL is the proxy's, so its output URLs go through it too. */
export async function startUpstream(options: { workers?: number } = {}): Promise<Upstream> {
  const proxy = await startFaultProxy();
  const logDir = tempDir('upstream-runs-');
  const logFile = join(logDir.path, 'runs.log');
  writeFileSync(logFile, '');
  const h = await createHarness({
    env: { MODELGATE_PUBLIC_URL: proxy.url },
    engines: { builtin: createTestEngine('builtin', logFile), onnx: createTestEngine('onnx', logFile) },
  });
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  proxy.target = `http://127.0.0.1:${(h.app.server.address() as { port: number }).port}`;
  if ((options.workers ?? 2) > 0) h.startWorkers(options.workers ?? 2);
  let closed = false;
  return {
    h,
    proxy,
    runs: () => readFileSync(logFile, 'utf8').split('\n').filter(Boolean),
    async close() {
      if (closed) return;
      closed = true;
      await proxy.close();
      await h.close();
      logDir.remove();
    },
  };
}

export interface Front {
  ctx: Context;
  app: FastifyInstance;
  auth: { authorization: string };
  keyId: string;
  pool: WorkerPool;
  /** Everything the front logged (debug level and up), as text. */
  logs(): string;
  submit(model: string, body: unknown): Promise<string>;
  status(id: string): Promise<Record<string, any>>;
  result(id: string): Promise<Record<string, any>>;
  /** Waits for a finished result (succeeded, failed or cancelled). */
  finished(id: string, timeoutMs?: number): Promise<Record<string, any>>;
  close(): Promise<void>;
}

export interface FrontOptions {
  /** Extra options of the `upstream` engine (base_url and token_env are set). */
  engine?: Record<string, unknown>;
  workers?: number;
  shutdownGraceMs?: number;
  /** Set the token variable (default) or leave it out. */
  token?: string;
}

/** A front ModelGate routing every model to an `upstream` engine at `baseUrl`, with the token in a fresh env var. */
export async function startFront(baseUrl: string, token: string, options: FrontOptions = {}): Promise<Front> {
  const dir = tempDir('upstream-front-');
  const tokenEnv = `MODELGATE_TEST_UPSTREAM_TOKEN_${randomBytes(4).toString('hex').toUpperCase()}`;
  process.env[tokenEnv] = token;
  const configFile = join(dir.path, 'modelgate.json');
  writeFileSync(configFile, JSON.stringify({
    engines: { up: { type: 'upstream', base_url: baseUrl, token_env: tokenEnv, poll_min_ms: 50, poll_max_ms: 300, retry_budget_s: 60, ...options.engine } },
    models: Object.fromEntries(Object.values(MODELS).map((id) => [id, { engine: 'up' }])),
  }));
  const chunks: string[] = [];
  const sink = new Writable({ write(chunk: Buffer, _encoding, callback) { chunks.push(chunk.toString('utf8')); callback(); } });
  const config = testConfig(dir.path, { MODELGATE_CONFIG: configFile, MODELGATE_LOG_LEVEL: 'debug' });
  const ctx = await createContext(config, { log: createLogger('debug', sink) });
  delete process.env[tokenEnv];
  const app = await buildApp(ctx);
  const { key, record } = await createApiKey(ctx.store, 'front');
  const auth = { authorization: `Bearer ${key}` };
  const pool = new WorkerPool(ctx, { concurrency: options.workers ?? 4, shutdownGraceMs: options.shutdownGraceMs ?? 100 });
  pool.start();
  const get = async (id: string, route: string) => (await app.inject({ method: 'GET', url: `/v1/requests/${id}/${route}`, headers: auth })).json() as Record<string, any>;
  let closed = false;
  const front: Front = {
    ctx,
    app,
    auth,
    keyId: record.id,
    pool,
    logs: () => chunks.join(''),
    async submit(model, body) {
      const res = await app.inject({ method: 'POST', url: `/v1/models/${model}`, headers: { ...auth, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
      assert.equal(res.statusCode, 200, res.body);
      return res.json().request_id as string;
    },
    status: (id) => get(id, 'status'),
    result: (id) => get(id, 'result'),
    finished: (id, timeoutMs = 60_000) => waitFor(() => get(id, 'result'), (r) => ['succeeded', 'failed', 'cancelled'].includes(r.status), timeoutMs, 50),
    async close() {
      if (closed) return;
      closed = true;
      await pool.stop();
      await app.close();
      await ctx.close();
      dir.remove();
    },
  };
  return front;
}
