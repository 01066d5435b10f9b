/**
 * Pieces of the fault battery (bench/faults.ts): supervised `modelgate serve`/`worker` children
 * (through test/support/processes.ts, so there is one copy of the process harness), a tracker of
 * acknowledged submits and their first terminal answer, PostgreSQL databases and private
 * clusters, a tmpfs data dir that can be filled, and clean-up that also runs when the bench
 * itself is interrupted (unmount, cluster stop, database drop).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, closeSync, mkdirSync, openSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import type { Child, Install, Processes } from '../../test/support/processes.ts';
import { MODEL_IDS } from '../../test/support/models.ts';
import { ROOT } from './servers.ts';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
export const FAULT_ENGINE = join(ROOT, 'bench/lib/fault-engine.ts');

// ---------------------------------------------------------------------------------------------
// Clean-up that must happen even if the bench is interrupted (Ctrl-C, an exception, a kill).

const exitHooks = new Map<number, () => void>();
let hookSeq = 0;
let exiting = false;

function runExitHooks(): void {
  if (exiting) return;
  exiting = true;
  for (const hook of [...exitHooks.values()].reverse()) {
    try {
      hook();
    } catch {
      // best effort: the next hook still runs
    }
  }
  exitHooks.clear();
}

process.once('exit', runExitHooks);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\nfaults: ${signal}, cleaning up\n`);
    process.exit(130); // runs the 'exit' hook (and the Processes' SIGKILL of its children)
  });
}

/** Registers a synchronous clean-up for process exit; the returned function unregisters it. */
export function onExit(hook: () => void): () => void {
  const id = hookSeq++;
  exitHooks.set(id, hook);
  return () => exitHooks.delete(id);
}

// ---------------------------------------------------------------------------------------------
// Installs routed to the fault engine.

/** Re-points an install's config at the fault engine, with its events file outside the data dir. */
export function useFaultEngine(install: Install): string {
  const eventsFile = join(install.dir, 'engine-events.log');
  const models = Object.fromEntries(Object.values(MODEL_IDS).map((id) => [id, { engine: 'faults' }]));
  const config = { engines: { faults: { type: 'module', module: FAULT_ENGINE, events_file: eventsFile } }, models };
  writeFileSync(install.configFile, JSON.stringify(config, null, 2));
  writeFileSync(eventsFile, '');
  return eventsFile;
}

// ---------------------------------------------------------------------------------------------
// A supervised child: restarted when it dies unless the bench killed it on purpose.

export class Supervised {
  child: Child | undefined;
  /** Exits the bench did not cause (crashes), with the tail of what the process printed. */
  readonly crashes: string[] = [];
  starts = 0;
  kills = 0;
  private readonly intended = new WeakSet<Child>();
  private stopped = false;
  private restarting = false;

  constructor(
    readonly name: string,
    private readonly spawnChild: () => Child,
    /** Restart after a crash (a supervisor would); off for the server in row 1. */
    private readonly restartOnCrash = true,
  ) {}

  start(): Child {
    const child = this.spawnChild();
    this.starts++;
    this.child = child;
    void child.exited.then((exit) => {
      if (this.intended.has(child) || this.stopped) return;
      this.crashes.push(`${child.name} pid ${child.pid} exited ${JSON.stringify(exit)}: ${tail(child.stderr || child.stdout, 600)}`);
      if (this.restartOnCrash && this.child === child) void this.restartAfterCrash();
    });
    return child;
  }

  private async restartAfterCrash(): Promise<void> {
    if (this.restarting) return;
    this.restarting = true;
    await sleep(Math.min(2_000, 250 * this.crashes.length));
    this.restarting = false;
    if (!this.stopped && (!this.child || !this.child.running)) this.start();
  }

  /** SIGKILL, wait for the exit. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child || !child.running) return;
    this.intended.add(child);
    this.kills++;
    await child.kill('SIGKILL');
  }

  /** SIGTERM (SIGKILL after `ms`), and no more restarts. */
  async stop(ms = 15_000): Promise<void> {
    this.stopped = true;
    const child = this.child;
    if (!child || !child.running) return;
    this.intended.add(child);
    await child.kill('SIGTERM', ms).catch(() => child.kill('SIGKILL'));
  }
}

function tail(text: string, chars: number): string {
  return text.slice(-chars).replace(/\s+/g, ' ').trim();
}

export const SERVING = /ModelGate is serving .* at (http:\/\/\S+)/;
export const KEY = /MODELGATE_API_KEY=(mg_[0-9A-Za-z]+)/;

export function spawnServe(procs: Processes, install: Install, port: number, env: Record<string, string>, name = 'serve'): () => Child {
  return () => procs.spawn(name, ['serve'], { ...install.env, HOST: '127.0.0.1', PORT: String(port), ...env });
}

export function spawnWorker(procs: Processes, install: Install, env: Record<string, string>, name: string): () => Child {
  return () => procs.spawn(name, ['worker'], { ...install.env, ...env });
}

// ---------------------------------------------------------------------------------------------
// HTTP, acknowledged submits and what the server later says about them.

export interface Answer {
  status: number;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export async function call(url: string, key: string, method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 10_000): Promise<Answer> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? null : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, json };
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

export interface Seen {
  status: string;
  /** output (succeeded) or error (failed), as JSON text, to compare later observations with. */
  detail: string;
  at: number;
}

export interface FinalAnswer {
  http: number | 'unreachable';
  status?: string;
  detail?: string;
  errorType?: string;
}

/**
 * Every submit the server acknowledged (200 with a request_id), and the first terminal result
 * the bench saw for each (polled in the background while faults run).
 */
export class Tracker {
  readonly acked = new Map<string, { tag: string; at: number }>();
  readonly tagOf = new Map<string, string>();
  readonly firstTerminal = new Map<string, Seen>();
  attempted = 0;
  refused = 0;
  readonly refusals = new Map<string, number>();
  /** Called after each acknowledgement (row 1 kills the server from here). */
  onAck: ((id: string) => void) | undefined;
  private polling: Promise<void> | undefined;
  private stopPolling = false;

  constructor(
    readonly endpoint: () => { url: string; key: string },
    private readonly model = MODEL_IDS.dreamina,
  ) {}

  /** One submit with a unique tag in its prompt (so the stored rows can be matched to it). */
  async submit(runMs: number, label: string): Promise<string | undefined> {
    const tag = `${label}-${this.attempted}-${randomBytes(4).toString('hex')}`;
    this.attempted++;
    const { url, key } = this.endpoint();
    try {
      const res = await call(url, key, 'POST', `/v1/models/${this.model}`, { prompt: `sleep=${runMs} ${tag}` });
      const id = res.status === 200 ? (res.json?.request_id as string | undefined) : undefined;
      if (id) {
        this.acked.set(id, { tag, at: Date.now() });
        this.tagOf.set(tag, id);
        this.onAck?.(id);
        return id;
      }
      this.refuse(`HTTP ${res.status}${res.json?.error_code ? ` ${String(res.json.error_code)}` : ''}`);
    } catch (error) {
      this.refuse((error as Error).name === 'TimeoutError' ? 'timeout' : 'connection error');
    }
    return undefined;
  }

  private refuse(why: string): void {
    this.refused++;
    this.refusals.set(why, (this.refusals.get(why) ?? 0) + 1);
  }

  pending(): string[] {
    return [...this.acked.keys()].filter((id) => !this.firstTerminal.has(id));
  }

  async result(id: string): Promise<FinalAnswer> {
    const { url, key } = this.endpoint();
    try {
      const res = await call(url, key, 'GET', `/v1/requests/${encodeURIComponent(id)}/result`, undefined, 5_000);
      if (res.status !== 200) return { http: res.status };
      const status = String(res.json?.status);
      const detail = status === 'succeeded' ? JSON.stringify(res.json.output ?? null) : status === 'failed' ? JSON.stringify(res.json.error ?? null) : '';
      return { http: 200, status, detail, ...(status === 'failed' ? { errorType: String(res.json?.error?.type) } : {}) };
    } catch {
      return { http: 'unreachable' };
    }
  }

  /** Asks about every pending job once (a few at a time) and records first terminal answers. */
  async pollOnce(concurrency = 6): Promise<void> {
    const queue = this.pending();
    await Promise.all(Array.from({ length: concurrency }, async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        const answer = await this.result(id);
        if (answer.http === 'unreachable') return; // server down: try again next round
        if (answer.status && TERMINAL.has(answer.status) && !this.firstTerminal.has(id)) {
          this.firstTerminal.set(id, { status: answer.status, detail: answer.detail ?? '', at: Date.now() });
        }
      }
    }));
  }

  startPolling(intervalMs = 300): void {
    this.stopPolling = false;
    this.polling ??= (async () => {
      while (!this.stopPolling) {
        await this.pollOnce();
        await sleep(intervalMs);
      }
    })();
  }

  async endPolling(): Promise<void> {
    this.stopPolling = true;
    await this.polling;
    this.polling = undefined;
  }

  /** Polls until every acknowledged job was seen terminal, or the deadline; the time of the last one. */
  async drain(deadline: number): Promise<number | undefined> {
    await this.endPolling();
    while (Date.now() < deadline) {
      await this.pollOnce();
      if (this.pending().length === 0) return Math.max(0, ...[...this.firstTerminal.values()].map((s) => s.at));
      await sleep(250);
    }
    return undefined;
  }

  /** The final answer for every acknowledged job (retrying a few times while the server is unreachable). */
  async finalAnswers(): Promise<Map<string, FinalAnswer>> {
    const out = new Map<string, FinalAnswer>();
    const ids = [...this.acked.keys()];
    await Promise.all(Array.from({ length: 6 }, async () => {
      for (let id = ids.shift(); id !== undefined; id = ids.shift()) {
        let answer = await this.result(id);
        for (let i = 0; i < 20 && answer.http === 'unreachable'; i++) {
          await sleep(250);
          answer = await this.result(id);
        }
        out.set(id, answer);
      }
    }));
    return out;
  }
}

/** Submits `count` jobs from `concurrency` loops, spread evenly over `spreadMs` (0: as fast as possible). */
export async function submitSpread(tracker: Tracker, options: { count: number; concurrency: number; spreadMs: number; runMs: number; label: string; stop?: () => boolean }): Promise<void> {
  const t0 = Date.now();
  let next = 0;
  await Promise.all(Array.from({ length: options.concurrency }, async () => {
    while (next < options.count && !options.stop?.()) {
      const index = next++;
      const due = t0 + (options.spreadMs * index) / options.count;
      if (due > Date.now()) await sleep(due - Date.now());
      if (options.stop?.()) return;
      await tracker.submit(options.runMs, options.label);
    }
  }));
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL: a fresh database on the shared cluster, or a private throwaway cluster.

export const SHARED_PG = process.env.FAULTS_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function pgQuery<T = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** A fresh database on the shared cluster; drop() removes it (also run at exit). */
export async function freshDatabase(adminUrl = SHARED_PG): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `mg_faults_${process.pid}_${randomBytes(3).toString('hex')}`;
  await pgQuery(adminUrl, `CREATE DATABASE ${name}`);
  const dropSync = () => {
    spawnSync('psql', [adminUrl, '-c', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`], { stdio: 'ignore', timeout: 10_000 });
  };
  const unhook = onExit(dropSync);
  return {
    url: withDatabase(adminUrl, name),
    name,
    async drop() {
      unhook();
      await pgQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** The private cluster lives in test/support so the scale-out test restarts the same kind of cluster. */
export { PrivateCluster } from '../../test/support/private-postgres.ts';

// ---------------------------------------------------------------------------------------------
// A data dir on a small tmpfs that can be filled up.

export class SmallDisk {
  readonly filler: string;
  private mounted = false;
  private unhook: (() => void) | undefined;

  constructor(
    readonly dir: string,
    readonly sizeMb: number,
  ) {
    this.filler = join(dir, 'filler.bin');
  }

  /** Mounts the tmpfs; returns an error message when mounting is not permitted. */
  mount(): string | undefined {
    mkdirSync(this.dir, { recursive: true });
    const result = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${this.sizeMb}m,mode=0755`, 'tmpfs', this.dir], { encoding: 'utf8' });
    if (result.status !== 0) return (result.stderr || result.error?.message || `mount exited ${result.status}`).trim();
    this.mounted = true;
    this.unhook = onExit(() => this.unmountSync());
    if (process.getuid?.() === 0) chownSync(this.dir, 0, 0);
    return undefined;
  }

  /** Writes the filler until the file system says ENOSPC, down to the last page; returns the bytes written. */
  fill(): number {
    const fd = openSync(this.filler, 'a');
    const chunk = Buffer.alloc(256 * 1024, 0x5a);
    let written = 0;
    try {
      for (let size = chunk.length; size >= 512; size /= 2) {
        for (;;) {
          try {
            written += writeSync(fd, chunk.subarray(0, size));
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
            break;
          }
        }
      }
      return written;
    } finally {
      closeSync(fd);
    }
  }

  /** Space returns. */
  free(): void {
    try {
      unlinkSync(this.filler);
    } catch {
      // already gone
    }
  }

  /** Bytes free, as the file system reports them. */
  freeBytes(): number {
    const out = execFileSync('df', ['-B1', '--output=avail', this.dir], { encoding: 'utf8' }).trim().split('\n').at(-1);
    return Number(out);
  }

  private unmountSync(): void {
    if (!this.mounted) return;
    let result = spawnSync('umount', [this.dir], { stdio: 'ignore' });
    if (result.status !== 0) result = spawnSync('umount', ['-l', this.dir], { stdio: 'ignore' });
    if (result.status === 0) this.mounted = false;
  }

  unmount(): void {
    this.unmountSync();
    this.unhook?.();
  }
}
