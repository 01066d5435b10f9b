/**
 * Builds a real context (SQLite file in a fresh temp folder, local blobs, the real catalog) and
 * app for one test, and tears everything down after. Every test file gets its own database.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/app.ts';
import { createApiKey } from '../../src/auth/api-keys.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { createContext, type Context, type ContextOverrides } from '../../src/context.ts';
import { WorkerPool } from '../../src/worker/worker-pool.ts';
import { createTestEngine } from './test-engine.ts';

export { MODEL_IDS as MODELS } from './models.ts';

export function tempDir(prefix = 'modelgate-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Configuration as a fresh install would have it, in a temp folder; `env` overrides variables. */
export function testConfig(dataDir: string, env: Record<string, string> = {}): Config {
  return loadConfig({ MODELGATE_DATA_DIR: dataDir, MODELGATE_LOG_LEVEL: 'silent', MODELGATE_WORKERS: '0', ...env });
}

export interface Harness {
  ctx: Context;
  app: FastifyInstance;
  /** A fresh key's secret and id. */
  key: string;
  keyId: string;
  auth: { authorization: string };
  newKey(name?: string): Promise<{ key: string; keyId: string; auth: { authorization: string } }>;
  startWorkers(concurrency?: number): WorkerPool;
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  /** Engines by name; by default `builtin` and `onnx` are replaced by the test engine. */
  engines?: ContextOverrides['engines'];
  /** DNS for input fetches (a stub: tests never ask real DNS). */
  resolver?: ContextOverrides['resolver'];
  /** Another backend (e.g. PostgreSQL) instead of the SQLite file in the temp folder; closed with the harness. */
  store?: ContextOverrides['store'];
  /** The process logger (e.g. one writing to a stream the test reads); silent by default. */
  log?: ContextOverrides['log'];
}

export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = tempDir();
  const config = testConfig(dir.path, options.env);
  const ctx = await createContext(config, {
    engines: options.engines ?? { builtin: createTestEngine('builtin'), onnx: createTestEngine('onnx') },
    ...(options.resolver ? { resolver: options.resolver } : {}),
    ...(options.store ? { store: options.store } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  const app = await buildApp(ctx);
  const pools: WorkerPool[] = [];
  const newKey = async (name = 'test') => {
    const { key, record } = await createApiKey(ctx.store, name);
    return { key, keyId: record.id, auth: { authorization: `Bearer ${key}` } };
  };
  const first = await newKey();
  return {
    ctx,
    app,
    ...first,
    newKey,
    startWorkers(concurrency = 1) {
      const pool = new WorkerPool(ctx, { concurrency, shutdownGraceMs: 100 });
      pool.start();
      pools.push(pool);
      return pool;
    },
    async close() {
      await Promise.all(pools.map((pool) => pool.stop()));
      await app.close();
      await ctx.close();
      dir.remove();
    },
  };
}

/** Polls a condition until it holds or the timeout passes (then throws with the last value). */
/**
 * POSTs a job (expecting 200) and polls its result until it succeeds or fails; `onProgress` sees
 * each `progress` the status route reports meanwhile.
 */
export async function submitAndWait(
  h: Harness,
  model: string,
  body: unknown,
  options: { timeoutMs?: number; intervalMs?: number; onProgress?: (progress: number) => void } = {},
): Promise<Record<string, any>> {
  const submitted = await h.app.inject({ method: 'POST', url: `/v1/models/${model}`, headers: { ...h.auth, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
  assert.equal(submitted.statusCode, 200, submitted.body);
  const id = submitted.json().request_id as string;
  const { timeoutMs = 30_000, intervalMs = 50, onProgress } = options;
  return waitFor(
    async () => {
      if (onProgress) {
        const status = (await h.app.inject({ method: 'GET', url: `/v1/requests/${id}/status`, headers: h.auth })).json();
        if (typeof status.progress === 'number') onProgress(status.progress);
      }
      return (await h.app.inject({ method: 'GET', url: `/v1/requests/${id}/result`, headers: h.auth })).json();
    },
    (r) => r.status === 'succeeded' || r.status === 'failed',
    timeoutMs,
    intervalMs,
  );
}

export async function waitFor<T>(probe: () => Promise<T> | T, done: (value: T) => boolean, timeoutMs = 5000, intervalMs = 10): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!done(value)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    value = await probe();
  }
  return value;
}
