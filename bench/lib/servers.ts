/**
 * Starting the servers under test as child processes on 127.0.0.1, so that the load generator
 * (this process) and the server each have their own process and event loop. The machine has
 * only 2 cores, so the two still share them; every figure is read with that in mind.
 *
 *   startModelGate(): the real CLI (`node bin/modelgate.mjs serve`) on a fresh temp data folder,
 *     with an API key made beforehand through the library on the same SQLite file, and every
 *     model routed to the test engine double (through a MODELGATE_CONFIG `module` engine).
 *   startBare(): bench/bare-server.mjs on plain Node, the bare Fastify baseline.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApiKey } from '../../src/auth/api-keys.ts';
import { loadConfig } from '../../src/config.ts';
import { createStore } from '../../src/store/create-store.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const MODELS = {
  dreamina: 'bytedance/dreamina-4-0/text-to-image',
  seedream: 'bytedance/seedream-5/lite/text-to-image',
  reframe: 'ideogram/ideogram-v3/reframe',
  runway: 'runwayml/runway-gen-3-alpha/turbo/image-to-video',
} as const;

export interface ServerProcess {
  url: string;
  pid: number;
  dir: string;
  logFile: string;
  stop(): Promise<void>;
}

export interface ModelGateProcess extends ServerProcess {
  key: string;
  auth: { authorization: string };
  dbPath: string;
  /** Where the timing engine appends "<request id> <hrtime ns>" at each run() entry. */
  recordFile: string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntilUp(child: ChildProcess, url: string, logFile: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  while (Date.now() < deadline) {
    if (exited !== undefined) throw new Error(`server exited (${exited}) before answering; log:\n${readFileSync(logFile, 'utf8').slice(-4000)}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Error(`server did not answer ${url} within ${timeoutMs} ms; log:\n${readFileSync(logFile, 'utf8').slice(-4000)}`);
}

function stopper(child: ChildProcess, dir: string): () => Promise<void> {
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
}

/** Server output goes to a file (never a pipe nobody reads, which would stall pino). */
function spawnLogged(args: string[], env: NodeJS.ProcessEnv, logFile: string, cwd = ROOT): ChildProcess {
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  return child;
}

/**
 * The key is made before the server opens the file: with the library on the same SQLite file, or
 * for another checkout with that checkout's own `modelgate keys create` (its migrations may differ).
 */
async function createKey(env: Record<string, string>, root: string | undefined): Promise<string> {
  if (root === undefined || root === ROOT) {
    const store = await createStore(loadConfig({ ...env }));
    try {
      return (await createApiKey(store, 'bench')).key;
    } finally {
      await store.close();
    }
  }
  const { execFileSync } = await import('node:child_process');
  return execFileSync(process.execPath, ['bin/modelgate.mjs', 'keys', 'create', '--name', 'bench'], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
}

export interface ModelGateOptions {
  workers?: number;
  synchronous?: 'FULL' | 'NORMAL';
  env?: Record<string, string>;
  /** Extra node flags for the server process, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/prof']. */
  nodeArgs?: string[];
  /** Another checkout to run the server from (A/B comparisons of a change); default this one. */
  root?: string;
  /** The `module` engine file every model runs on; default the timing engine (TypeScript: needs tsx in the server). */
  engineModule?: string;
}

export async function startModelGate(options: ModelGateOptions = {}): Promise<ModelGateProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-bench-'));
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const recordFile = join(dir, 'run-entered.txt');
  writeFileSync(recordFile, '');
  const configFile = join(dir, 'modelgate.json');
  const engine = { type: 'module', module: options.engineModule ?? join(ROOT, 'bench/lib/timing-engine.ts'), record_file: recordFile };
  writeFileSync(configFile, JSON.stringify({ engines: { bench: engine }, models: Object.fromEntries(Object.values(MODELS).map((id) => [id, { engine: 'bench' }])) }, null, 2));

  const port = await freePort();
  const env: Record<string, string> = {
    HOST: '127.0.0.1',
    PORT: String(port),
    MODELGATE_DATA_DIR: dataDir,
    MODELGATE_CONFIG: configFile,
    MODELGATE_WORKERS: String(options.workers ?? 0),
    MODELGATE_SQLITE_SYNCHRONOUS: options.synchronous ?? 'FULL',
    ...options.env,
  };

  const root = options.root ?? process.env.BENCH_SERVER_ROOT;
  const key = await createKey(env, root);

  const profile = process.env.BENCH_CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`] : [];
  const child = spawnLogged([...profile, ...(options.nodeArgs ?? []), 'bin/modelgate.mjs', 'serve'], { ...process.env, ...env }, logFile, root ?? ROOT);
  const url = `http://127.0.0.1:${port}`;
  const stop = stopper(child, dir);
  try {
    await waitUntilUp(child, `${url}/healthz`, logFile);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, pid: child.pid!, dir, logFile, key, auth: { authorization: `Bearer ${key}` }, dbPath: join(dataDir, 'modelgate.db'), recordFile, stop };
}

export async function startBare(options: { nodeArgs?: string[]; env?: Record<string, string> } = {}): Promise<ServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-bench-bare-'));
  const logFile = join(dir, 'server.log');
  const port = await freePort();
  const child = spawnLogged([...(options.nodeArgs ?? []), 'bench/bare-server.mjs'], { ...process.env, PORT: String(port), ...options.env }, logFile);
  const url = `http://127.0.0.1:${port}`;
  const stop = stopper(child, dir);
  try {
    await waitUntilUp(child, `${url}/bare`, logFile);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, pid: child.pid!, dir, logFile, stop };
}

/** Resident set size of a process, in MB, from /proc (Linux). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** Submits one job through the real API and returns its request id. */
export async function submitJob(server: ModelGateProcess, model: string, body: unknown): Promise<string> {
  const res = await fetch(`${server.url}/v1/models/${model}`, { method: 'POST', headers: { ...server.auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`submit answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { request_id: string }).request_id;
}

export { sleep };
