/**
 * `modelgate run MODEL_ID [--input JSON] [--FIELD VALUE ...] [--out DIR]`: submit a job to a
 * running server, show its queue position and progress while waiting, and download the outputs.
 * Field flags are typed by the model's input schema, so `--duration 10` is the integer 10 while
 * `--promptText 10` stays a string. Ctrl-C cancels the job if it is still queued.
 */
import { mkdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { ModelGateApiError, ModelGateClient, type ModelDetail, type StatusView } from '../client/index.ts';
import type { Config } from '../config.ts';
import { UsageError } from './usage-error.ts';

const USAGE = 'usage: modelgate run MODEL_ID [--input \'{"field": ...}\'] [--FIELD VALUE ...] [--out DIR] [--url URL] [--key KEY]';
const OWN_FLAGS = new Set(['input', 'out', 'url', 'key', 'interval']);

interface RunArgs {
  modelId: string;
  own: Record<string, string>;
  fields: Record<string, string>;
}

export function parseRunArgs(args: string[]): RunArgs {
  const [modelId, ...rest] = args;
  if (!modelId || modelId.startsWith('--')) throw new UsageError(USAGE);
  const own: Record<string, string> = {};
  const fields: Record<string, string> = {};
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument ${JSON.stringify(arg)}\n${USAGE}`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq > 0 ? eq : undefined);
    const value = eq > 0 ? arg.slice(eq + 1) : rest[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value\n${USAGE}`);
    (OWN_FLAGS.has(name) ? own : fields)[name] = value;
  }
  return { modelId, own, fields };
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

function describe(status: StatusView): string {
  if (status.status === 'in_queue') return `in queue (position ${status.queue_position ?? 0})`;
  if (status.status === 'in_progress') return status.progress === undefined ? 'in progress' : `in progress ${Math.round(status.progress * 100)}%`;
  return status.status;
}

/** A spinner line on a terminal; on a pipe, a plain line only when something changed. */
function statusPrinter(): { update(status: StatusView): void; done(): void } {
  const started = Date.now();
  const tty = process.stderr.isTTY;
  const frames = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏';
  let frame = 0;
  let last = '';
  return {
    update(status) {
      const text = describe(status);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      if (tty) process.stderr.write(`\r\x1b[2K${frames[frame++ % frames.length]} ${text}  ${seconds}s`);
      else if (text !== last) process.stderr.write(`${seconds}s ${text}\n`);
      last = text;
    },
    done() {
      if (tty) process.stderr.write('\r\x1b[2K');
    },
  };
}

export async function runCommand(config: Config, args: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  const { modelId, own, fields } = parseRunArgs(args);
  const apiKey = own.key ?? env.MODELGATE_API_KEY;
  if (!apiKey) throw new UsageError('no API key: pass --key or set MODELGATE_API_KEY');
  const client = new ModelGateClient({ baseUrl: own.url ?? env.MODELGATE_URL ?? config.publicUrl, apiKey });

  let input: Record<string, unknown> = {};
  if (own.input) {
    try {
      input = JSON.parse(own.input) as Record<string, unknown>;
    } catch {
      throw new UsageError('--input must be a JSON object');
    }
  }
  const model = Object.keys(fields).length > 0 ? await client.getModel(modelId).catch(() => undefined) : undefined;
  for (const [name, text] of Object.entries(fields)) input[name] = coerceField(model, name, text);

  let submitted;
  try {
    submitted = await client.submit(modelId, input);
  } catch (error) {
    if (error instanceof ModelGateApiError) {
      process.stderr.write(`rejected (${error.code ?? error.httpStatus}): ${error.message}\n`);
      for (const d of error.body?.detail ?? []) process.stderr.write(`  ${d.loc.join('.')}: ${d.msg}\n`);
      return 2;
    }
    throw error;
  }
  process.stderr.write(`submitted ${submitted.request_id}\n`);

  const interrupt = new AbortController();
  const onInterrupt = () => interrupt.abort();
  process.once('SIGINT', onInterrupt);
  const printer = statusPrinter();
  let result;
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
  const outDir = own.out ?? join('outputs', submitted.request_id);
  await mkdir(outDir, { recursive: true });
  const output = result.output ?? {};
  const downloads: Array<[string, string]> = [];
  if (output.image) downloads.push(['image', output.image]);
  if (output.video) downloads.push(['video', output.video]);
  output.images?.forEach((url, i) => downloads.push([`image-${i}`, url]));
  output.videos?.forEach((url, i) => downloads.push([`video-${i}`, url]));
  for (const [name, url] of downloads) {
    const path = join(outDir, `${name}${extname(new URL(url).pathname)}`);
    await client.download(url, path);
    process.stdout.write(`${path}\n`);
  }
  return 0;
}
