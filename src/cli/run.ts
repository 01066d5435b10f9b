/**
 * `modelgate run MODEL_ID [--FIELD VALUE ...] [--input JSON] [--out DIR]`: submit a job to a
 * running server (uploading local files given for file fields first, file-values.ts), show its
 * queue position and progress while waiting (progress.ts), and download the outputs. Field flags
 * are typed by the model's input schema, so `--duration 10` is the integer 10 while
 * `--promptText 10` stays a string. stdout carries only the results (the saved paths, or a failed
 * job's result); everything for people goes to stderr. Ctrl-C cancels the job if it is still queued.
 */
import { mkdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { ModelGateApiError, type ModelDetail, type ResultView } from '../client/index.ts';
import type { Config } from '../config.ts';
import { parseArgs } from './args.ts';
import { connect, type Connection } from './connect.ts';
import { uploadLocalFiles } from './file-values.ts';
import { fileFieldsOf } from './models.ts';
import { statusPrinter } from './progress.ts';
import { UsageError } from './usage-error.ts';

const HELP_COMMAND = 'modelgate run';
const OWN_FLAGS = ['input', 'out', 'url', 'key', 'interval'];

interface RunArgs {
  modelId: string;
  own: Record<string, string>;
  fields: Record<string, string>;
}

export function parseRunArgs(args: string[]): RunArgs {
  const { positionals, values, fields } = parseArgs(args, { values: OWN_FLAGS, fields: true }, HELP_COMMAND);
  const [modelId, extra] = positionals;
  if (!modelId) throw new UsageError(`which model? usage: modelgate run MODEL_ID [--FIELD VALUE ...]; see ${HELP_COMMAND} --help (and modelgate models for the ids)`);
  if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)} (fields are given as --FIELD VALUE); see ${HELP_COMMAND} --help`);
  return { modelId, own: values, fields };
}

/** Converts a flag's text to the type its schema property declares. */
export function coerceField(model: ModelDetail | undefined, name: string, text: string): unknown {
  const type = model?.input_schema.properties?.[name]?.type;
  if (type === 'integer' || type === 'number') {
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value)) throw new UsageError(`--${name} must be a number, got ${JSON.stringify(text)}`);
    return value;
  }
  if (type === 'boolean') {
    if (text !== 'true' && text !== 'false') throw new UsageError(`--${name} must be true or false`);
    return text === 'true';
  }
  if (type === 'object' || type === 'array') {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new UsageError(`--${name} must be JSON (${type})`);
    }
  }
  return text;
}

function parseInput(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch {
    throw new UsageError('--input must be a JSON object');
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new UsageError('--input must be a JSON object');
  return input as Record<string, unknown>;
}

/** The model's schema, or undefined when the server has no detail route (the input is then sent untyped). */
async function modelDetail(connection: Connection, modelId: string): Promise<ModelDetail | undefined> {
  try {
    return await connection.client.getModel(modelId);
  } catch (error) {
    if (error instanceof ModelGateApiError && error.code === 400001) throw new UsageError(`${error.message} (modelgate models lists them)`);
    if (error instanceof ModelGateApiError && error.httpStatus === 401) throw error;
    if (error instanceof ModelGateApiError) return undefined;
    throw error;
  }
}

/** Prints a rejection the way the server stated it: the reason, then each field and why. */
function printRejection(error: ModelGateApiError): void {
  process.stderr.write(`rejected (${error.code ?? error.httpStatus}): ${error.message}\n`);
  for (const d of error.body?.detail ?? []) process.stderr.write(`  ${d.loc.join('.')}: ${d.msg}\n`);
}

async function saveOutputs(connection: Connection, result: ResultView, outDir: string): Promise<void> {
  await mkdir(outDir, { recursive: true });
  const output = result.output ?? {};
  const downloads: Array<[string, string]> = [];
  if (output.image) downloads.push(['image', output.image]);
  if (output.video) downloads.push(['video', output.video]);
  output.images?.forEach((url, i) => downloads.push([`image-${i}`, url]));
  output.videos?.forEach((url, i) => downloads.push([`video-${i}`, url]));
  for (const [name, url] of downloads) {
    const path = join(outDir, `${name}${extname(new URL(url).pathname)}`);
    await connection.client.download(url, path);
    process.stdout.write(`${path}\n`);
  }
}

export async function runCommand(config: Config, args: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  const { modelId, own, fields } = parseRunArgs(args);
  const connection = connect(config, own, env);
  const { client } = connection;
  const input = parseInput(own.input);
  const model = await modelDetail(connection, modelId);
  for (const [name, text] of Object.entries(fields)) input[name] = coerceField(model, name, text);

  let submitted;
  try {
    await uploadLocalFiles(connection, input, model ? fileFieldsOf(model) : new Map());
    submitted = await client.submit(modelId, input);
  } catch (error) {
    if (!(error instanceof ModelGateApiError)) throw error;
    printRejection(error);
    return 2;
  }
  process.stderr.write(`submitted ${submitted.request_id}\n`);

  const interrupt = new AbortController();
  const onInterrupt = () => interrupt.abort();
  process.once('SIGINT', onInterrupt);
  const printer = statusPrinter();
  // `notices` is ModelGate's extension (the engine's word on the output); other servers leave it out.
  let result: ResultView & { notices?: string[] };
  try {
    result = await client.wait(submitted.request_id, { onStatus: (s) => printer.update(s), intervalMs: Number(own.interval ?? 500), signal: interrupt.signal });
  } catch (error) {
    printer.done();
    if (!interrupt.signal.aborted) throw error;
    const cancelled = await client.cancel(submitted.request_id);
    process.stderr.write(cancelled.outcome === 'cancelled' ? 'interrupted: the job was cancelled\n' : 'interrupted: the job is already running and will finish on the server\n');
    return 130;
  } finally {
    process.off('SIGINT', onInterrupt);
  }
  printer.done();

  if (result.status !== 'succeeded') {
    process.stderr.write(`${result.status}${result.error ? ` (${result.error.type}): ${result.error.message}` : ''}\n`);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 1;
  }
  // What the engine said about this output (e.g. the bundled model draws coloured shapes only).
  for (const notice of result.notices ?? []) process.stderr.write(`note: ${notice}\n`);
  await saveOutputs(connection, result, own.out ?? join('outputs', submitted.request_id));
  return 0;
}
