/**
 * The `modelgate` command: serve | worker | models | run | keys | migrate. Each command's modules are
 * imported only when it runs, so `keys`, `run` and configuration errors do not pay for loading
 * the HTTP server and workers (about a second per start). `--help` / `-h` is answered before
 * anything is loaded or configured, so `serve --help` prints help and never starts a server.
 */
import { ConfigError, loadConfig } from '../config.ts';
import { StartupError } from '../config-error.ts';
import { parseArgs, wantsHelp } from './args.ts';
import { GENERAL_HELP, helpFor } from './help.ts';
import { UsageError } from './usage-error.ts';

/** Commands that take no arguments at all: anything given is a mistake worth an exit 2. */
function noArguments(command: string, args: string[]): void {
  const { positionals } = parseArgs(args, {}, `modelgate ${command}`);
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}; see modelgate ${command} --help`);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (!command || command === '--help' || command === '-h' || (command === 'help' && args.length === 0)) {
    process.stdout.write(GENERAL_HELP);
    return command ? 0 : 2;
  }
  // `modelgate help run` and `modelgate run --help` alike.
  const helpTopic = command === 'help' ? args[0]! : wantsHelp(args) ? command : undefined;
  if (helpTopic !== undefined) {
    const text = helpFor(helpTopic, command === 'help' ? args.slice(1) : args);
    if (!text) throw new UsageError(`unknown command ${JSON.stringify(helpTopic)}; see modelgate --help`);
    process.stdout.write(text);
    return 0;
  }
  if (command === 'serve' || command === 'worker' || command === 'migrate') noArguments(command, args);
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
    case 'webhooks':
      await (await import('./webhooks.ts')).webhooksCommand(config, args);
      return 0;
    case 'models':
      return (await import('./models.ts')).modelsCommand(config, args);
    case 'run':
      return (await import('./run.ts')).runCommand(config, args);
    case 'migrate': {
      const store = await (await import('../store/create-store.ts')).createStore(config);
      await store.close();
      process.stdout.write(`database is up to date\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}; see modelgate --help`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // serve and worker keep running until a signal; everything else exits with its code.
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    // Errors the user can act on are shown as their message; anything else with its stack.
    const expected = error instanceof ConfigError || error instanceof StartupError || error instanceof UsageError || (error instanceof Error && ['ModelGateConnectionError', 'ApiError', 'ModelGateApiError'].includes(error.name));
    if (expected) process.stderr.write(`modelgate: ${(error as Error).message}\n`);
    else process.stderr.write(`modelgate: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  },
);
