/** `modelgate keys create|list|revoke`: key management straight on the store, for operators. */
import { createApiKey } from '../auth/api-keys.ts';
import type { Config } from '../config.ts';
import { createStore } from '../store/create-store.ts';
import type { Store } from '../store/store.ts';
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

export async function keysCommand(config: Config, args: string[]): Promise<void> {
  const [action, ...rest] = args;
  switch (action) {
    case 'create': {
      const nameAt = rest.indexOf('--name');
      const name = nameAt >= 0 ? rest[nameAt + 1] : undefined;
      if (!name) throw new UsageError('usage: modelgate keys create --name NAME');
      const { key, record } = await withStore(config, (store) => createApiKey(store, name));
      // Only the key on stdout, so scripts can capture it; the rest goes to stderr.
      process.stdout.write(`${key}\n`);
      process.stderr.write(`created key ${record.id} (${record.name}); it is shown only this once\n`);
      return;
    }
    case 'list': {
      const keys = await withStore(config, (store) => store.listApiKeys());
      const rows = keys.map((k) => [k.id, k.name, `${k.prefix}…`, new Date(k.createdAt).toISOString(), k.revokedAt ? `revoked ${new Date(k.revokedAt).toISOString()}` : 'active']);
      const header = ['ID', 'NAME', 'PREFIX', 'CREATED', 'STATUS'];
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
      for (const row of [header, ...rows]) process.stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()}\n`);
      return;
    }
    case 'revoke': {
      const id = rest[0];
      if (!id) throw new UsageError('usage: modelgate keys revoke ID');
      const revoked = await withStore(config, (store) => store.revokeApiKey(id, Date.now()));
      if (!revoked) throw new UsageError(`no active key with id ${id} (see modelgate keys list)`);
      process.stdout.write(`revoked ${id}\n`);
      return;
    }
    default:
      throw new UsageError('usage: modelgate keys create --name NAME | list | revoke ID');
  }
}
