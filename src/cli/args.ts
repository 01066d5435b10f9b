/**
 * The flag grammar every command shares: `--name value`, `--name=value`, boolean `--name`, and
 * `--help` / `-h` anywhere. A flag the command does not declare is a usage error that names the
 * flag and the help command, so a typo never runs with a default instead.
 */
import { UsageError } from './usage-error.ts';

export interface FlagSpec {
  /** Flags that take a value. */
  values?: readonly string[];
  /** Flags that are on when present. */
  booleans?: readonly string[];
  /** Accept any other `--name value` as a field (modelgate run's `--FIELD VALUE`). */
  fields?: boolean;
}

export interface ParsedArgs {
  positionals: string[];
  values: Record<string, string>;
  booleans: Set<string>;
  /** Undeclared `--name value` pairs, when the spec allows fields. */
  fields: Record<string, string>;
}

/** True when the arguments ask for help; checked before anything else runs or is loaded. */
export function wantsHelp(args: readonly string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}

export function parseArgs(args: readonly string[], spec: FlagSpec, helpCommand: string): ParsedArgs {
  const parsed: ParsedArgs = { positionals: [], values: {}, booleans: new Set(), fields: {} };
  const values = new Set(spec.values ?? []);
  const booleans = new Set(spec.booleans ?? []);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      parsed.positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      parsed.positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') ? arg.slice(2, eq > 0 ? eq : undefined) : '';
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    if (booleans.has(name)) {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value; see ${helpCommand} --help`);
      parsed.booleans.add(name);
      continue;
    }
    const known = values.has(name);
    if (!name || (!known && !spec.fields)) throw new UsageError(`unknown flag ${eq > 0 ? arg.slice(0, eq) : arg}; see ${helpCommand} --help`);
    const value = inline ?? args[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value; see ${helpCommand} --help`);
    (known ? parsed.values : parsed.fields)[name] = value;
  }
  return parsed;
}
