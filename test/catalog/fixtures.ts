/**
 * Shared by the catalog contract tests: the raw catalog files, the seed pages, JSON blocks cut out
 * of the seed text, and assertions on `catalog.validate` results.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCatalog, type Catalog } from '../../src/catalog/catalog.ts';
import type { CatalogFile, JsonSchema } from '../../src/catalog/types.ts';
import type { ErrorDetail } from '../../src/errors.ts';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CATALOG_DIR = join(REPO_ROOT, 'catalog');
/** The seed pages sit beside the repository, in ../shared/seeds. */
export const SEEDS_DIR = join(REPO_ROOT, '..', 'shared', 'seeds');
export const SEEDS_ABSENT = existsSync(SEEDS_DIR) ? false : `seed pages not found at ${SEEDS_DIR}; the verbatim comparison needs them`;

export const MODELS = {
  reframe: 'ideogram/ideogram-v3/reframe',
  dreamina: 'bytedance/dreamina-4-0/text-to-image',
  seedream: 'bytedance/seedream-5/lite/text-to-image',
  runway: 'runwayml/runway-gen-3-alpha/turbo/image-to-video',
} as const;

/** The smallest input each model accepts (its required fields). */
export const MINIMAL: Record<string, Record<string, unknown>> = {
  [MODELS.reframe]: { image: 'https://example.com/in.png', resolution: '1152:864 (4:3)' },
  [MODELS.dreamina]: { prompt: 'a cat' },
  [MODELS.seedream]: { prompt: 'a cat' },
  [MODELS.runway]: { promptText: 'a cat walks', promptImage: 'https://example.com/in.png' },
};

/** Every catalog file as it sits on disk, by file name. */
export function readCatalogFiles(): Array<{ name: string; file: CatalogFile }> {
  return readdirSync(CATALOG_DIR)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => ({ name, file: JSON.parse(readFileSync(join(CATALOG_DIR, name), 'utf8')) as CatalogFile }));
}

export function catalogFile(modelId: string): CatalogFile {
  const found = readCatalogFiles().find(({ file }) => file.model_id === modelId);
  assert.ok(found, `no catalog file for ${modelId}`);
  return found.file;
}

export function rawProperties(modelId: string): Record<string, JsonSchema> {
  return catalogFile(modelId).input_schema.properties as Record<string, JsonSchema>;
}

/**
 * Every top-level `{...}` block in a text that parses as JSON, in order. Braces are matched with
 * JSON strings skipped (a `}` inside a string does not close a block); a balanced block that is
 * not JSON (`{request_id}` in a URL) is passed over and scanning resumes inside it.
 */
export function jsonBlocks(text: string): unknown[] {
  const blocks: unknown[] = [];
  for (let start = 0; start < text.length; start++) {
    if (text[start] !== '{') continue;
    let depth = 0;
    let inString = false;
    let escaped = false;
    let end = -1;
    for (let i = start; i < text.length; i++) {
      const ch = text[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (ch === '\\') escaped = true;
        else if (ch === '"') inString = false;
      } else if (ch === '"') inString = true;
      else if (ch === '{') depth++;
      else if (ch === '}' && --depth === 0) {
        end = i;
        break;
      }
    }
    if (end < 0) continue;
    try {
      blocks.push(JSON.parse(text.slice(start, end + 1)));
      start = end;
    } catch {
      // not JSON: keep scanning from the next character
    }
  }
  return blocks;
}

export interface SeedSchemas {
  modelId: string;
  input: JsonSchema;
  output: JsonSchema;
  /** The request bodies of the page's curl examples. */
  examples: Array<Record<string, unknown>>;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Reads one seed page: its model id (from the curl URL), input schema, output schema, examples. */
export function readSeed(path: string): SeedSchemas {
  const text = readFileSync(path, 'utf8');
  const url = /https:\/\/model-api\.runcomfy\.net\/v1\/models\/(\S+?)\s/.exec(text);
  assert.ok(url, `${path}: no submit URL`);
  const blocks = jsonBlocks(text).filter(isObject);
  const inputs = blocks.filter((block) => block.type === 'object' && isObject(block.properties));
  const outputs = blocks.filter((block) => Object.keys(block).length === 1 && isObject(block.output));
  assert.equal(inputs.length, 1, `${path}: expected one input schema block, found ${inputs.length}`);
  assert.equal(outputs.length, 1, `${path}: expected one output schema block, found ${outputs.length}`);
  const examples = blocks.filter((block) => block !== inputs[0] && block !== outputs[0]);
  return { modelId: url[1]!, input: inputs[0]!, output: outputs[0]!, examples };
}

let shared: Catalog | undefined;
/** One loaded catalog for a test file (loading compiles four Ajv validators). */
export function catalog(): Catalog {
  shared ??= loadCatalog();
  return shared;
}

/** Validates `MINIMAL[model]` plus `extra`, and asserts it is accepted; returns the defaulted value. */
export function accepts(modelId: string, extra: Record<string, unknown>): Record<string, unknown> {
  const input = { ...MINIMAL[modelId], ...extra };
  const result = catalog().validate(modelId, input);
  assert.ok(result.ok, `${modelId} should accept ${JSON.stringify(extra)}; got ${JSON.stringify(result.ok ? null : result.detail)}`);
  return result.value;
}

/**
 * Validates `MINIMAL[model]` plus `extra` and asserts it is refused with exactly one detail entry,
 * at `['body', field]`, of the given type. Returns that entry.
 */
export function rejects(modelId: string, extra: Record<string, unknown>, field: string, type: string): ErrorDetail {
  const input = { ...MINIMAL[modelId], ...extra };
  const result = catalog().validate(modelId, input);
  assert.ok(!result.ok, `${modelId} should refuse ${JSON.stringify(extra)}; it accepted ${JSON.stringify(result.ok ? result.value : null)}`);
  assert.equal(result.detail.length, 1, `one detail entry expected: ${JSON.stringify(result.detail)}`);
  const [entry] = result.detail;
  assert.deepEqual(entry!.loc, ['body', field], `loc for ${JSON.stringify(extra)}`);
  assert.equal(entry!.type, type, `type for ${JSON.stringify(extra)}: ${JSON.stringify(entry)}`);
  assert.ok(entry!.msg.length > 0);
  return entry!;
}
