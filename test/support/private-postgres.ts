/**
 * A throwaway PostgreSQL cluster (initdb in a temp folder, its own loopback port and socket
 * folder), for tests and benches that restart or stop the database on purpose and so must not
 * touch the shared cluster at 127.0.0.1:5432 other tests use. One copy, used by
 * test/lifecycle/scale-out.test.ts and bench/faults.ts (through bench/lib/fault-kit.ts).
 *
 *   const why = privateClusterUnavailable();   // a reason to skip, or undefined
 *   const cluster = new PrivateCluster(await freePort());
 *   await cluster.init(); await cluster.start();
 *   ... cluster.url ... await cluster.restartFast() ...
 *   cluster.destroy();                          // also run at process exit if forgotten
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const PG_ROOT = '/usr/lib/postgresql';

/** The newest installed server version's folder of binaries, or undefined when none is installed. */
function binDir(): string | undefined {
  if (!existsSync(PG_ROOT)) return undefined;
  const versions = readdirSync(PG_ROOT).filter((v) => existsSync(join(PG_ROOT, v, 'bin/initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(PG_ROOT, versions[0], 'bin');
}

function pgBin(tool: string): string {
  const dir = binDir();
  if (!dir) throw new Error(`no PostgreSQL server binaries (initdb) under ${PG_ROOT}`);
  return join(dir, tool);
}

const runningAsRoot = () => process.getuid?.() === 0;

/** Why a private cluster cannot be made on this machine, or undefined when it can. */
export function privateClusterUnavailable(): string | undefined {
  if (!binDir()) return `initdb not found under ${PG_ROOT}/<version>/bin (install the PostgreSQL server package)`;
  if (runningAsRoot()) {
    // initdb and pg_ctl refuse to run as root: they run as the `postgres` OS user through runuser.
    if (spawnSync('id', ['-u', 'postgres'], { stdio: 'ignore' }).status !== 0) return 'running as root and there is no `postgres` OS user to run initdb as';
    if (spawnSync('runuser', ['--help'], { stdio: 'ignore' }).error) return 'running as root and runuser is missing';
  }
  return undefined;
}

/** Runs a PostgreSQL server tool as the `postgres` OS user when we are root (initdb/pg_ctl refuse root). */
async function asPostgres(tool: string, args: string[], timeoutMs = 60_000): Promise<string> {
  const [file, argv] = runningAsRoot() ? ['runuser', ['-u', 'postgres', '--', pgBin(tool), ...args]] : [pgBin(tool), args];
  try {
    const { stdout } = await execFileAsync(file, argv, { encoding: 'utf8', timeout: timeoutMs });
    return stdout;
  } catch (error) {
    const e = error as { code?: unknown; stderr?: string; stdout?: string };
    throw new Error(`${tool} ${args.join(' ')} failed (${String(e.code)}): ${e.stderr || e.stdout || String(error)}`);
  }
}

/** A throwaway cluster in a temp folder owned by `postgres`, on a loopback port of its own. */
export class PrivateCluster {
  readonly dir: string;
  readonly dataDir: string;
  private readonly atExit = () => this.destroySync();

  constructor(readonly port: number) {
    this.dir = mkdtempSync(join(tmpdir(), 'modelgate-pg-'));
    this.dataDir = join(this.dir, 'data');
    if (runningAsRoot()) execFileSync('chown', ['postgres:postgres', this.dir]);
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  get version(): string {
    return pgBin('postgres').split('/')[4] ?? '?';
  }

  async init(): Promise<void> {
    // A cluster left running would hold its port and folder after the process is gone.
    process.once('exit', this.atExit);
    await asPostgres('initdb', ['-D', this.dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8'], 120_000);
  }

  private options(): string {
    return `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200`;
  }

  async start(): Promise<void> {
    await asPostgres('pg_ctl', ['-D', this.dataDir, '-o', this.options(), '-l', join(this.dir, 'server.log'), '-w', 'start']);
  }

  /** `pg_ctl restart -m fast`: clients are disconnected, the server comes back at once. */
  async restartFast(): Promise<void> {
    await asPostgres('pg_ctl', ['-D', this.dataDir, '-o', this.options(), '-l', join(this.dir, 'server.log'), '-w', '-m', 'fast', 'restart']);
  }

  /** `pg_ctl stop -m immediate`: no shutdown checkpoint, crash recovery at the next start. */
  async stopImmediate(): Promise<void> {
    await asPostgres('pg_ctl', ['-D', this.dataDir, '-w', '-m', 'immediate', 'stop']);
  }

  private destroySync(): void {
    if (existsSync(join(this.dataDir, 'postmaster.pid'))) {
      const [file, argv] = runningAsRoot() ? ['runuser', ['-u', 'postgres', '--', pgBin('pg_ctl')]] : [pgBin('pg_ctl'), []];
      spawnSync(file, [...argv, '-D', this.dataDir, '-w', '-m', 'immediate', 'stop'], { stdio: 'ignore', timeout: 30_000 });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  destroy(): void {
    process.off('exit', this.atExit);
    this.destroySync();
  }
}
