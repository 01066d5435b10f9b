/**
 * `modelgate models` lists the server's models; `modelgate models MODEL_ID` shows one model's
 * input fields as its schema states them (type, required, allowed values, default, limits,
 * description) and, for file fields, the rules a file must pass. Read from the server, so it
 * shows what that server accepts, including models another operator added.
 */
import { ModelGateApiError, type ModelDetail, type SchemaProperty } from '../client/index.ts';
import type { Config } from '../config.ts';
import { parseArgs } from './args.ts';
import { table } from './table.ts';
import { connect } from './connect.ts';
import { UsageError } from './usage-error.ts';

/** An enum this long is shown by its first entries and a count. */
const ENUM_SHOWN = 12;

const show = (value: unknown) => (typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value));

function limitsOf(field: SchemaProperty): string[] {
  const limits: string[] = [];
  if (field.minimum !== undefined && field.maximum !== undefined) limits.push(`from ${field.minimum} to ${field.maximum}`);
  else if (field.minimum !== undefined) limits.push(`at least ${field.minimum}`);
  else if (field.maximum !== undefined) limits.push(`at most ${field.maximum}`);
  if (field.exclusiveMinimum !== undefined) limits.push(`more than ${field.exclusiveMinimum}`);
  if (field.exclusiveMaximum !== undefined) limits.push(`less than ${field.exclusiveMaximum}`);
  if (field.minLength !== undefined) limits.push(`at least ${field.minLength} characters`);
  if (field.maxLength !== undefined) limits.push(`at most ${field.maxLength} characters`);
  if (field.minItems !== undefined) limits.push(`at least ${field.minItems} items`);
  if (field.maxItems !== undefined) limits.push(`at most ${field.maxItems} items`);
  if (field.pattern !== undefined) limits.push(`matching /${field.pattern}/`);
  return limits;
}

/** The lines that describe one field, the flag first. */
export function describeField(name: string, field: SchemaProperty, required: boolean, fileKind: string | undefined): string[] {
  const type = fileKind ? `file (${fileKind})` : Array.isArray(field.type) ? field.type.join(' | ') : (field.type ?? 'any');
  const lines = [`  --${name}  ${type}, ${required ? 'required' : 'optional'}`];
  const detail = (label: string, text: string) => lines.push(`      ${label}: ${text}`);
  if (field.enum) {
    const shown = field.enum.slice(0, ENUM_SHOWN).map(show).join(', ');
    detail('one of', field.enum.length > ENUM_SHOWN ? `${shown}, … (${field.enum.length} values; --json lists them all)` : shown);
  }
  if (field.default !== undefined) detail('default', show(field.default));
  const limits = limitsOf(field);
  if (limits.length > 0) detail('limits', limits.join(', '));
  for (const rule of field.validations ?? []) {
    detail('file rule', `${rule.validation_rule ?? '?'} ${show(rule.validation_value)}${rule.validation_error ? ` (${rule.validation_error})` : ''}`);
  }
  const about = field.description?.trim() || field.title?.trim();
  if (about && about !== name) detail('about', about);
  return lines;
}

/** A field is a file field when the server says so (file_inputs) or its schema carries file rules. */
export function fileFieldsOf(model: ModelDetail): Map<string, string> {
  const files = new Map<string, string>();
  const properties = model.input_schema.properties ?? {};
  for (const [name, field] of Object.entries(properties)) if (field.validations?.length) files.set(name, 'file');
  for (const [name, spec] of Object.entries(model.file_inputs ?? {})) files.set(name, spec.kind);
  return files;
}

export function describeModel(model: ModelDetail): string {
  const properties = model.input_schema.properties ?? {};
  const required = new Set(model.input_schema.required ?? []);
  const files = fileFieldsOf(model);
  const engine = model.engine ? `   engine: ${model.engine}${model.engine_available === false ? ' (unavailable)' : ''}` : '';
  const lines = [`${model.model_id}: ${model.display_name}`, `categories: ${model.categories.join(', ')}${engine}`];
  if (model.description) lines.push('', model.description.trim());
  lines.push('', 'Fields (modelgate run MODEL_ID --FIELD VALUE ...):');
  // Required fields first, then the schema's own order.
  const names = Object.keys(properties).sort((a, b) => Number(required.has(b)) - Number(required.has(a)));
  for (const name of names) lines.push(...describeField(name, properties[name]!, required.has(name), files.get(name)));
  if (files.size > 0) lines.push('', 'File fields take a local path (uploaded by modelgate run), an https:// URL or a data: URI.');
  return `${lines.join('\n')}\n`;
}

export async function modelsCommand(config: Config, args: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  const { positionals, values, booleans } = parseArgs(args, { values: ['url', 'key'], booleans: ['json'] }, 'modelgate models');
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}; see modelgate models --help`);
  const { client } = connect(config, values, env);
  const [modelId] = positionals;
  try {
    if (modelId !== undefined) {
      const model = await client.getModel(modelId);
      process.stdout.write(booleans.has('json') ? `${JSON.stringify(model, null, 2)}\n` : describeModel(model));
      return 0;
    }
    const { models } = await client.listModels();
    if (booleans.has('json')) {
      process.stdout.write(`${JSON.stringify(models, null, 2)}\n`);
      return 0;
    }
    const rows = models.map((m) => [m.model_id, m.display_name, m.categories.join(', '), m.engine ? `${m.engine}${m.engine_available === false ? ' (unavailable)' : ''}` : '-']);
    process.stdout.write(table([['MODEL_ID', 'NAME', 'CATEGORIES', 'ENGINE'], ...rows]));
    return 0;
  } catch (error) {
    if (!(error instanceof ModelGateApiError)) throw error;
    process.stderr.write(`modelgate: ${error.message}${error.code ? ` (${error.code})` : ''}\n`);
    return error.code === 400001 ? 2 : 1;
  }
}
