/** A JSON Schema object as the seeds write it; loose on purpose, the loader normalises it. */
export type JsonSchema = { [keyword: string]: unknown };

/** One rule of a `validations` array, verbatim from the seed. */
export interface FileRule {
  validation_rule: string;
  validation_value: number;
  validation_error: string;
}

export type FileKind = 'image' | 'video';

/** A catalog file as it sits in catalog/: the seed's schemas verbatim plus our metadata. */
export interface CatalogFile {
  model_id: string;
  display_name: string;
  categories: string[];
  description: string;
  source: string;
  /** The engine this model runs on unless MODELGATE_CONFIG routes it elsewhere. */
  engine: string;
  /** Which input properties name files, and what kind of file each must be. */
  file_inputs: Record<string, { kind: FileKind }>;
  input_schema: JsonSchema;
  output_schema: JsonSchema;
}

export interface FileInputSpec {
  field: string;
  kind: FileKind;
  rules: FileRule[];
}

/** A catalog entry after loading: schemas normalised and compiled once. */
export interface CatalogModel {
  id: string;
  displayName: string;
  categories: string[];
  description: string;
  defaultEngine: string;
  /** The seed's input schema, untouched (what GET /v1/models shows beside the normalised one). */
  rawInputSchema: JsonSchema;
  /** The schema actually enforced: `float` → `number`, unknown properties refused. */
  inputSchema: JsonSchema;
  outputSchema: JsonSchema;
  fileInputs: FileInputSpec[];
}
