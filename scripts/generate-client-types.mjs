#!/usr/bin/env node
// Writes src/client/models.ts: one TypeScript input type per catalog model, from the input
// schema in catalog/*.json, so `client.run('bytedance/…', {…})` is checked against the model's
// fields (names, types, enums, which are required). Run after changing the catalog:
//   node scripts/generate-client-types.mjs
// `--check` exits 1 when the committed file differs (test/client/generated-types.test.ts does the same).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const TARGET = join(root, 'src/client/models.ts');

/** `ideogram/ideogram-v3/reframe` → `IdeogramIdeogramV3ReframeInput`. */
function typeName(modelId) {
  return `${modelId.split(/[^A-Za-z0-9]+/).filter(Boolean).map((word) => word[0].toUpperCase() + word.slice(1)).join('')}Input`;
}

function literal(value) {
  return JSON.stringify(value);
}

/** The TypeScript type of one schema property (the seed schemas also say "float"). */
function typeOf(property) {
  if (Array.isArray(property.enum) && property.enum.length > 0) return property.enum.map(literal).join(' | ');
  switch (property.type) {
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
    case 'float':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array':
      return property.items ? `Array<${typeOf(property.items)}>` : 'unknown[]';
    case 'object':
      return 'Record<string, unknown>';
    default:
      return 'unknown';
  }
}

/** A one-line JSDoc of what a caller needs: the title, limits, default, and how files are sent. */
function doc(name, property, fileKind) {
  const parts = [property.title && property.title !== name ? property.title : undefined];
  if (fileKind) parts.push(`${fileKind} file: an https URL, a data: URI, or the url of client.upload()`);
  if (property.minimum !== undefined || property.maximum !== undefined) parts.push(`${property.minimum ?? '…'} to ${property.maximum ?? '…'}`);
  if (property.maxLength !== undefined) parts.push(`at most ${property.maxLength} characters`);
  if (property.default !== undefined && JSON.stringify(property.default).length <= 60) parts.push(`default ${JSON.stringify(property.default)}`);
  const text = parts.filter(Boolean).join('; ').replace(/\*\//g, '* /');
  return text ? `  /** ${text} */\n` : '';
}

export function generate() {
  const dir = join(root, 'catalog');
  const models = readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .map((name) => JSON.parse(readFileSync(join(dir, name), 'utf8')))
    .sort((a, b) => a.model_id.localeCompare(b.model_id));
  let out = '// Generated from catalog/*.json by scripts/generate-client-types.mjs: do not edit.\n';
  out += '// The input of each catalog model, as its schema describes it; the server validates again.\n\n';
  for (const model of models) {
    const schema = model.input_schema;
    const required = new Set(schema.required ?? []);
    out += `/** ${model.display_name} (\`${model.model_id}\`). */\n`;
    out += `export interface ${typeName(model.model_id)} {\n`;
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      const key = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : literal(name);
      out += doc(name, property, model.file_inputs?.[name]?.kind);
      const type = typeOf(property);
      // Long enums one member a line, so a catalog change reads as a small diff.
      const written = type.length > 80 && type.includes(' | ') ? type.split(' | ').map((member) => `\n    | ${member}`).join('') : ` ${type}`;
      out += `  ${key}${required.has(name) ? '' : '?'}:${written};\n`;
    }
    out += '}\n\n';
  }
  out += '/** Model id → its input type: what `submit` and `run` accept for the catalog\'s models. */\n';
  out += 'export interface ModelInputs {\n';
  for (const model of models) out += `  ${literal(model.model_id)}: ${typeName(model.model_id)};\n`;
  out += '}\n\nexport type CatalogModelId = keyof ModelInputs;\n\n';
  out += '/** The input type of `M`: typed for a catalog model, any JSON object for other ids (e.g. RunComfy\'s other models). */\n';
  out += 'export type ModelInput<M extends string> = M extends CatalogModelId ? ModelInputs[M] : Record<string, unknown>;\n';
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const source = generate();
  if (process.argv.includes('--check')) {
    const same = readFileSync(TARGET, 'utf8') === source;
    console.log(same ? 'src/client/models.ts is up to date' : 'src/client/models.ts is stale: run node scripts/generate-client-types.mjs');
    process.exit(same ? 0 : 1);
  }
  writeFileSync(TARGET, source);
  console.log(`wrote ${TARGET}`);
}
