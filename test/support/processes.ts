/**
 * Runs the real `modelgate` CLI as child processes for end-to-end and crash tests: each install
 * gets its own temp folder (data dir, MODELGATE_CONFIG routing all four models to the test
 * engine, an execution log), servers listen on free loopback ports, and every child is killed and
 * every folder removed by `cleanup()`, which each test file calls from an `after` hook.
 *
 *   const procs = new Processes();
 *   after(() => procs.cleanup());
 *   const install = procs.install();
 *   const server = await procs.serve(install, { MODELGATE_WORKERS: '0' });
 *   const worker = await procs.worker(install);
 *   await worker.kill('SIGKILL');
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MODEL_IDS } from './models.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = join(ROOT, 'bin/modelgate.mjs');
const TEST_ENGINE = join(ROOT, 'test/support/test-engine.ts');

export type Env = Record<string, string>;

/** One data folder with its config file, shared by the serve/worker/keys processes run on it. */
export interface Install {
  dir: string;
  dataDir: string;
  configFile: string;
  /** The test engine appends "<request id> <attempt>" here at the start of every execution. */
  logFile: string;
  /** The environment every process on this install gets (before per-process overrides). */
  env: Env;
  /** Executions recorded so far, per request id: the attempts, in order. */
  executions(): Map<string, number[]>;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class Child {
  readonly exited: Promise<Exit>;
  private out = '';
  private err = '';
  private exit: Exit | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly name: string,
    readonly process: ChildProcess,
  ) {
    process.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.out += chunk;
      this.notify();
    });
    process.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.err += chunk;
      this.notify();
    });
    this.exited = new Promise((resolve) => {
      process.once('close', (code, signal) => {
        this.exit = { code, signal };
        this.notify();
        resolve(this.exit);
      });
    });
  }

  get pid(): number {
    return this.process.pid!;
  }

  get stdout(): string {
    return this.out;
  }

  get stderr(): string {
    return this.err;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }

  /** Resolves with the first match of `pattern` in stdout+stderr; rejects if the process exits first or time runs out. */
  waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(this.out) ?? pattern.exec(this.err);
        if (match) return finish(() => resolve(match));
        if (this.exit) return finish(() => reject(new Error(`${this.name} exited (${JSON.stringify(this.exit)}) before printing ${pattern}\n${this.describe()}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`${this.name} did not print ${pattern} within ${timeoutMs} ms\n${this.describe()}`))), timeoutMs);
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        settle();
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Sends a signal and waits for the process to be gone. */
  async kill(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 20_000): Promise<Exit> {
    if (this.exit) return this.exit;
    this.process.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.name} still running ${timeoutMs} ms after ${signal}\n${this.describe()}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The tail of what the process printed, for assertion messages. */
  describe(chars = 3000): string {
    return `--- ${this.name} (pid ${this.process.pid}) stdout:\n${this.out.slice(-chars)}\n--- stderr:\n${this.err.slice(-chars)}`;
  }
}

export interface Server extends Child {
  url: string;
  port: number;
  /** The key printed (on stderr) on the first start of an install, if this start printed one. */
  apiKey: string | undefined;
}

/** A port nobody listens on right now (the kernel picks it; we close and hand it on). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export const KEY_LINE = /MODELGATE_API_KEY=(mg_[0-9A-Za-z]+)/;
export const SERVING_LINE = /ModelGate is serving .* at (https?:\/\/\S+)/;

/** Routes every catalog model to the test engine (a `module` engine) and logs its executions. */
function writeConfig(configFile: string, logFile: string): void {
  const models = Object.fromEntries(Object.values(MODEL_IDS).map((id) => [id, { engine: 'test' }]));
  writeFileSync(configFile, JSON.stringify({ engines: { test: { type: 'module', module: TEST_ENGINE, log_file: logFile } }, models }, null, 2));
}

export class Processes {
  private readonly children = new Set<Child>();
  private readonly dirs: string[] = [];
  private readonly onExit = () => {
    // Last resort if the test process dies without running its after hooks.
    for (const child of this.children) if (child.running) child.process.kill('SIGKILL');
  };

  constructor() {
    process.once('exit', this.onExit);
  }

  /** A fresh install; `env` adds settings shared by every process run on it. */
  install(env: Env = {}): Install {
    const dir = mkdtempSync(join(tmpdir(), 'modelgate-proc-'));
    this.dirs.push(dir);
    const dataDir = join(dir, 'data');
    const configFile = join(dir, 'modelgate.json');
    const logFile = join(dir, 'executions.log');
    writeConfig(configFile, logFile);
    return {
      dir,
      dataDir,
      configFile,
      logFile,
      env: { MODELGATE_DATA_DIR: dataDir, MODELGATE_CONFIG: configFile, MODELGATE_LOG_LEVEL: 'info', ...env },
      executions() {
        let text = '';
        try {
          text = readFileSync(logFile, 'utf8');
        } catch {
          return new Map();
        }
        const runs = new Map<string, number[]>();
        for (const line of text.split('\n')) {
          const [id, attempt] = line.trim().split(' ');
          if (!id || !attempt) continue;
          runs.set(id, [...(runs.get(id) ?? []), Number(attempt)]);
        }
        return runs;
      },
    };
  }

  /** Starts `modelgate ARGS` with the install's environment plus `env`; does not wait. */
  spawn(name: string, args: string[], env: Env = {}): Child {
    const base: Env = {};
    // Inherit what node needs (PATH, HOME, ...) but none of the runner's MODELGATE_* settings.
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('MODELGATE_') && k !== 'HOST' && k !== 'PORT') base[k] = v;
    // The tests run the sources, never a dist/ built from older ones (bin/dist-state.mjs).
    base.MODELGATE_RUN_FROM = 'src';
    const child = new Child(name, spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
    this.children.add(child);
    void child.exited.then(() => this.children.delete(child));
    return child;
  }

  /** Runs a short command (keys, run, migrate, a failing serve) to its end. */
  async run(install: Install | undefined, args: string[], env: Env = {}, timeoutMs = 30_000): Promise<Exit & { stdout: string; stderr: string }> {
    const child = this.spawn(`modelgate ${args.join(' ')}`, args, { ...install?.env, ...env });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        child.process.kill('SIGKILL');
        reject(new Error(`${child.name} did not finish within ${timeoutMs} ms\n${child.describe()}`));
      }, timeoutMs);
    });
    try {
      const exit = await Promise.race([child.exited, timeout]);
      return { ...exit, stdout: child.stdout, stderr: child.stderr };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Starts `modelgate serve` on a free port and resolves once it prints that it is serving
   * (retrying on another port if the one picked was taken in between).
   */
  async serve(install: Install, env: Env = {}, name = 'serve'): Promise<Server> {
    for (let tries = 0; ; tries++) {
      const port = env.PORT ? Number(env.PORT) : await freePort();
      const child = this.spawn(name, ['serve'], { ...install.env, HOST: '127.0.0.1', PORT: String(port), ...env });
      try {
        const [, url] = await child.waitFor(SERVING_LINE, 30_000);
        const server = child as Server;
        server.url = url!;
        server.port = port;
        server.apiKey = KEY_LINE.exec(child.stderr)?.[1];
        return server;
      } catch (error) {
        if (tries < 2 && !env.PORT && /EADDRINUSE/.test(child.stdout + child.stderr)) continue;
        await child.kill('SIGKILL');
        throw error;
      }
    }
  }

  /**
   * Starts `modelgate worker` and resolves once its pool is claiming (its "worker started" log
   * line), or at once with `awaitStart: false`: a worker whose first claim is a job that kills it
   * may die before that line reaches the pipe.
   */
  async worker(install: Install, env: Env = {}, name = 'worker', awaitStart = true): Promise<Child> {
    const child = this.spawn(name, ['worker'], { ...install.env, MODELGATE_LOG_LEVEL: 'info', ...env });
    if (!awaitStart) return child;
    try {
      await child.waitFor(/"msg":"worker started"/, 30_000);
    } catch (error) {
      await child.kill('SIGKILL');
      throw error;
    }
    return child;
  }

  /** Kills every child still running (SIGKILL) and removes every temp folder. */
  async cleanup(): Promise<void> {
    await Promise.all([...this.children].map((child) => child.kill('SIGKILL').catch(() => undefined)));
    process.off('exit', this.onExit);
    for (const dir of this.dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}

/** A small fetch wrapper for the API: JSON in and out, the key as a Bearer token. */
export function api(baseUrl: string, key?: string) {
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? null : JSON.stringify(body),
    });
    const text = await response.text();
    let json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, json, text };
  };
  return {
    get: (path: string, headers?: Record<string, string>) => call('GET', path, undefined, headers),
    post: (path: string, body?: unknown, headers?: Record<string, string>) => call('POST', path, body, headers),
    submit: (model: string, body: unknown) => call('POST', `/v1/models/${model}`, body),
    status: (id: string) => call('GET', `/v1/requests/${id}/status`),
    result: (id: string) => call('GET', `/v1/requests/${id}/result`),
    cancel: (id: string) => call('POST', `/v1/requests/${id}/cancel`),
  };
}

/** Polls until `done` holds (or throws after `timeoutMs` with the last value). */
export async function poll<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!done(value)) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    value = await probe();
  }
  return value;
}
