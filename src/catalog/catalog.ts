/**
 * The model catalog: one JSON file per model in catalog/, loaded and compiled once at start.
 * Adding a model is adding a file; nothing in the API layer names a model.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRule } from './file-rules.ts';
import { fileRulesOf, normaliseInputSchema } from './normalise.ts';
import type { CatalogFile, CatalogModel, FileInputSpec, JsonSchema } from './types.ts';
import { compileInputValidator, createAjv, type InputValidator } from './validator.ts';

export const DEFAULT_CATALOG_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'catalog');

export class Catalog {
  readonly models: readonly CatalogModel[];
  private readonly byId: Map<string, CatalogModel>;
  private readonly validators: Map<string, InputValidator>;

  constructor(files: CatalogFile[]) {
    const ajv = createAjv();
    this.models = files.map(toModel).sort((a, b) => a.id.localeCompare(b.id));
    this.byId = new Map(this.models.map((model) => [model.id, model]));
    if (this.byId.size !== this.models.length) throw new Error('catalog: two files declare the same model_id');
    this.validators = new Map(this.models.map((model) => [model.id, compileInputValidator(ajv, model.inputSchema)]));
  }

  get(modelId: string): CatalogModel | undefined {
    return this.byId.get(modelId);
  }

  /** Validates and defaults an input for a known model. */
  validate(modelId: string, input: unknown): ReturnType<InputValidator> {
    const validator = this.validators.get(modelId);
    if (!validator) throw new Error(`catalog: no model ${modelId}`);
    return validator(input);
  }
}

function toModel(file: CatalogFile): CatalogModel {
  const properties = (file.input_schema.properties ?? {}) as Record<string, JsonSchema>;
  const fileInputs: FileInputSpec[] = Object.entries(file.file_inputs ?? {}).map(([field, spec]) => {
    if (!properties[field]) throw new Error(`catalog ${file.model_id}: file input ${field} is not an input property`);
    return { field, kind: spec.kind, rules: fileRulesOf(properties[field]) };
  });
  // Rules are parsed now so that a typo in a catalog file stops the start, not a job.
  for (const [field, property] of Object.entries(properties)) {
    // Rules are only ever checked on file inputs; rules anywhere else would be silently ignored.
    if (fileRulesOf(property).length > 0 && !fileInputs.some((input) => input.field === field)) {
      throw new Error(`catalog ${file.model_id}: ${field} has file rules (validations) but is not listed in file_inputs`);
    }
    for (const rule of fileRulesOf(property)) {
      try {
        parseRule(rule.validation_rule);
        // A non-numeric limit would compare as NaN (every file rejected) or by string coercion.
        if (typeof rule.validation_value !== 'number' || !Number.isFinite(rule.validation_value)) {
          throw new Error(`rule ${JSON.stringify(rule.validation_rule)}: validation_value must be a finite number, got ${JSON.stringify(rule.validation_value)}`);
        }
        if (typeof rule.validation_error !== 'string' || rule.validation_error.trim() === '') {
          throw new Error(`rule ${JSON.stringify(rule.validation_rule)}: validation_error must be a non-empty message`);
        }
      } catch (error) {
        throw new Error(`catalog ${file.model_id}: ${field}: ${(error as Error).message}`);
      }
    }
  }
  return {
    id: file.model_id,
    displayName: file.display_name,
    categories: file.categories,
    description: file.description,
    defaultEngine: file.engine,
    rawInputSchema: file.input_schema,
    inputSchema: normaliseInputSchema(file.input_schema, new Set(fileInputs.map((input) => input.field))),
    outputSchema: file.output_schema,
    fileInputs,
  };
}

export function loadCatalog(dir: string = DEFAULT_CATALOG_DIR): Catalog {
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => {
      try {
        return JSON.parse(readFileSync(join(dir, name), 'utf8')) as CatalogFile;
      } catch (error) {
        throw new Error(`catalog: ${name} is not valid JSON: ${(error as Error).message}`);
      }
    });
  return new Catalog(files);
}
