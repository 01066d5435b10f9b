/**
 * The `modelgate` command: serve | worker | keys | run | migrate. Each command's modules are
 * imported only when it runs, so `keys`, `run` and configuration errors do not pay for loading
 * the HTTP server and workers (about a second per start).
 */
import { ConfigError, loadConfig } from '../config.ts';
import { StartupError } from '../config-error.ts';
import { UsageError } from './usage-error.ts';

const HELP = `modelgate: a self-hosted, RunComfy-compatible model API

  modelgate serve                      API on HOST:PORT plus MODELGATE_WORKERS in-process workers
  modelgate worker                     workers only (MODELGATE_WORKERS slots, at least 1)
  modelgate keys create --name NAME    create an API key; prints only the key
  modelgate keys list                  list keys (prefixes only)
  modelgate keys revoke ID             revoke a key; effective on its next request
  modelgate run MODEL_ID [--input JSON] [--FIELD VALUE ...] [--out DIR] [--url URL] [--key KEY]
                                       submit a job, wait, download its outputs
  modelgate migrate                    create or upgrade the database, then exit

Configuration comes from the environment (HOST, PORT, MODELGATE_DATA_DIR, MODELGATE_PUBLIC_URL,
MODELGATE_WORKERS, MODELGATE_CONFIG, ...); see README.md.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(HELP);
    return command ? 0 : 2;
  }
  const config = loadConfig();
  switch (command) {
    case 'serve':
      await (await import('./serve.ts')).serve(config);
      return -1;
    case 'worker':
      await (await import('./serve.ts')).worker(config);
      return -1;
    case 'keys':
      await (await import('./keys.ts')).keysCommand(config, args);
      return 0;
    case 'run':
      return (await import('./run.ts')).runCommand(config, args);
    case 'migrate': {
      const store = await (await import('../store/create-store.ts')).createStore(config);
      await store.close();
      process.stdout.write(`database is up to date\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}\n\n${HELP}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // serve and worker keep running until a signal; everything else exits with its code.
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    // Errors the user can act on are shown as their message; anything else with its stack.
    const expected = error instanceof ConfigError || error instanceof StartupError || error instanceof UsageError || (error instanceof Error && error.name === 'ModelGateConnectionError');
    if (expected) process.stderr.write(`modelgate: ${(error as Error).message}\n`);
    else process.stderr.write(`modelgate: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  },
);
