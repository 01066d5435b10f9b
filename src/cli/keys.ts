/**
 * `modelgate keys create|set|list|revoke`: key management straight on the store, for operators.
 * Each subcommand declares its flags (args.ts), so a mistyped one exits 2 naming it.
 */
import { createApiKey } from '../auth/api-keys.ts';
import type { Config } from '../config.ts';
import { createStore } from '../store/create-store.ts';
import type { Store } from '../store/store.ts';
import { parseArgs } from './args.ts';
import { table } from './table.ts';
import { UsageError } from './usage-error.ts';

export { UsageError };

async function withStore<T>(config: Config, use: (store: Store) => Promise<T>): Promise<T> {
  const store = await createStore(config);
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

const SET_USAGE = 'usage: modelgate keys set ID --max-running N|default';

/** A subcommand's flags and positionals; more positionals than it takes is a usage error. */
function subcommandArgs(action: string, args: string[], values: string[], positionals: number) {
  const parsed = parseArgs(args, { values }, `modelgate keys ${action}`);
  const extra = parsed.positionals[positionals];
  if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)}; see modelgate keys ${action} --help`);
  return parsed;
}

/**
 * `--max-running N`: how many of the key's jobs may run at once (0: no limit for this key);
 * `default` (set only) goes back to MODELGATE_MAX_RUNNING_PER_KEY. undefined: flag not given.
 */
function maxRunningFlag(flags: Record<string, string>, command: 'create' | 'set'): number | null | undefined {
  if (!('max-running' in flags)) return undefined;
  const value = flags['max-running'];
  if (command === 'set' && value === 'default') return null;
  if (value === undefined || !/^\d{1,7}$/.test(value)) {
    throw new UsageError(`--max-running takes a whole number from 0 (no limit for this key) to 9999999${command === 'set' ? ', or default' : ''}; got ${value === undefined ? 'nothing' : JSON.stringify(value)}`);
  }
  return Number(value);
}

function describeQuota(maxRunning: number | null): string {
  if (maxRunning === null) return 'default';
  return maxRunning === 0 ? 'unlimited' : String(maxRunning);
}

export async function keysCommand(config: Config, args: string[]): Promise<void> {
  const [action, ...rest] = args;
  switch (action) {
    case 'create': {
      const { values } = subcommandArgs('create', rest, ['name', 'max-running'], 0);
      const name = values.name;
      if (!name) throw new UsageError('usage: modelgate keys create --name NAME [--max-running N]; see modelgate keys create --help');
      const maxRunning = maxRunningFlag(values, 'create');
      const { key, record } = await withStore(config, (store) => createApiKey(store, name, { maxRunning: maxRunning ?? null }));
      // Only the key on stdout, so scripts can capture it; the rest goes to stderr.
      process.stdout.write(`${key}\n`);
      process.stderr.write(`created key ${record.id} (${record.name}); it is shown only this once\n`);
      return;
    }
    case 'set': {
      const { positionals, values } = subcommandArgs('set', rest, ['max-running'], 1);
      const id = positionals[0];
      const maxRunning = maxRunningFlag(values, 'set');
      if (!id || maxRunning === undefined) throw new UsageError(`${SET_USAGE}; see modelgate keys set --help`);
      const updated = await withStore(config, (store) => store.setApiKeyMaxRunning(id, maxRunning));
      if (!updated) throw new UsageError(`no key with id ${id} (see modelgate keys list)`);
      process.stdout.write(`${id}: max running ${describeQuota(maxRunning)}\n`);
      return;
    }
    case 'list': {
      subcommandArgs('list', rest, [], 0);
      const keys = await withStore(config, (store) => store.listApiKeys());
      const rows = keys.map((k) => [k.id, k.name, `${k.prefix}…`, new Date(k.createdAt).toISOString(), describeQuota(k.maxRunning), k.revokedAt ? `revoked ${new Date(k.revokedAt).toISOString()}` : 'active']);
      const header = ['ID', 'NAME', 'PREFIX', 'CREATED', 'MAX RUNNING', 'STATUS'];
      process.stdout.write(table([header, ...rows]));
      return;
    }
    case 'revoke': {
      const id = subcommandArgs('revoke', rest, [], 1).positionals[0];
      if (!id) throw new UsageError('usage: modelgate keys revoke ID; see modelgate keys revoke --help');
      const revoked = await withStore(config, (store) => store.revokeApiKey(id, Date.now()));
      if (!revoked) throw new UsageError(`no active key with id ${id} (see modelgate keys list)`);
      process.stdout.write(`revoked ${id}\n`);
      return;
    }
    default:
      throw new UsageError(`${action === undefined ? 'which subcommand?' : `unknown subcommand ${JSON.stringify(action)}`}; usage: modelgate keys create --name NAME [--max-running N] | list | revoke ID | ${SET_USAGE.slice('usage: modelgate keys '.length)}; see modelgate keys --help`);
  }
}
