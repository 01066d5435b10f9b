/**
 * A model's input schema and file inputs (as GET /v1/models/{id} gives them) → the fields of its
 * form, and the form's values → the exact JSON body of the submit. No model is named here: every
 * control is chosen from what the server lists, so a new catalog file gets a working form
 * without code.
 * DOM-free on purpose: the unit tests in test/console/ run it in Node.
 */
import type { FileKind, FileRule } from '../../src/catalog/types.ts';

type Schema = { [keyword: string]: unknown };

export type EnumValue = string | number | boolean;

export type Control =
  | { kind: 'select'; options: EnumValue[] }
  | { kind: 'number'; integer: boolean; min?: number; max?: number }
  | { kind: 'toggle' }
  | { kind: 'text'; multiline: boolean; maxLength?: number }
  | { kind: 'file'; accept: string; rules: FileRule[] }
  | { kind: 'json'; expects: 'object' | 'array' };

export interface FieldSpec {
  /** The schema's property name: the control's label and the key in the submitted JSON. */
  name: string;
  /** The schema's `title` when it says more than the name. */
  title?: string;
  description?: string;
  required: boolean;
  default?: unknown;
  control: Control;
}

/** Text that may run past one line: a text area from this many allowed characters up. */
const MULTILINE_FROM = 200;

/** What a form control holds: text as typed, or a toggle's state. */
export type FormValue = string | boolean;
export type FormValues = Record<string, FormValue>;

/** The model's file inputs as GET /v1/models/{id} lists them (`file_inputs`): field → the kind of file it takes. */
export type FileInputs = Record<string, { kind: FileKind }>;

/** What the picker offers for each kind of file input. */
const ACCEPT: Record<FileKind, string> = { image: 'image/*', video: 'video/*' };

function controlOf(property: Schema, file: { kind: FileKind } | undefined): Control {
  if (file) return { kind: 'file', accept: ACCEPT[file.kind] ?? 'image/*,video/*', rules: Array.isArray(property.validations) ? (property.validations as FileRule[]) : [] };
  if (Array.isArray(property.enum)) return { kind: 'select', options: property.enum as EnumValue[] };
  switch (property.type) {
    case 'boolean':
      return { kind: 'toggle' };
    case 'integer':
    case 'number': {
      const control: Control = { kind: 'number', integer: property.type === 'integer' };
      if (typeof property.minimum === 'number') control.min = property.minimum;
      if (typeof property.maximum === 'number') control.max = property.maximum;
      return control;
    }
    case 'object':
    case 'array':
      return { kind: 'json', expects: property.type };
    default:
      break;
  }
  const maxLength = typeof property.maxLength === 'number' ? property.maxLength : undefined;
  return { kind: 'text', multiline: maxLength === undefined || maxLength >= MULTILINE_FROM, ...(maxLength === undefined ? {} : { maxLength }) };
}

/** The form's fields in schema order, required ones first (what a run cannot do without). */
export function fieldsOf(inputSchema: Schema, fileInputs: FileInputs): FieldSpec[] {
  const properties = (inputSchema.properties ?? {}) as Record<string, Schema>;
  const required = new Set(Array.isArray(inputSchema.required) ? (inputSchema.required as string[]) : []);
  const fields = Object.entries(properties).map(([name, property]): FieldSpec => {
    const field: FieldSpec = { name, required: required.has(name), control: controlOf(property, Object.hasOwn(fileInputs, name) ? fileInputs[name] : undefined) };
    if (typeof property.title === 'string' && property.title.trim() !== '' && property.title !== name) field.title = property.title;
    if (typeof property.description === 'string' && property.description.trim() !== '') field.description = property.description;
    if ('default' in property) field.default = property.default;
    return field;
  });
  return [...fields.filter((f) => f.required), ...fields.filter((f) => !f.required)];
}

/** The form as first shown: every default filled in, everything else empty. */
export function initialValues(fields: readonly FieldSpec[]): FormValues {
  const values: FormValues = {};
  for (const field of fields) {
    const given = field.default;
    if (field.control.kind === 'toggle') values[field.name] = given === true;
    else if (given === undefined) values[field.name] = '';
    else if (field.control.kind === 'json') values[field.name] = JSON.stringify(given);
    else values[field.name] = String(given);
  }
  return values;
}

export interface BuiltInput {
  /** The JSON body, exactly as it will be sent. */
  input: Record<string, unknown>;
  /** Field name → why its value cannot be sent; empty when the input is complete. */
  problems: Record<string, string>;
}

function numberProblem(control: Extract<Control, { kind: 'number' }>, value: number): string | undefined {
  if (!Number.isFinite(value)) return 'must be a number';
  if (control.integer && !Number.isInteger(value)) return 'must be a whole number';
  if (control.min !== undefined && value < control.min) return `must be >= ${control.min}`;
  if (control.max !== undefined && value > control.max) return `must be <= ${control.max}`;
  return undefined;
}

/**
 * The submit body from the form: empty optional fields are left out (the server applies its
 * defaults), numbers and enum values keep their schema types. Checks what the schema says
 * (required, bounds, lengths, JSON shape) so that a mistake is shown before anything is sent.
 */
export function buildInput(fields: readonly FieldSpec[], values: FormValues): BuiltInput {
  const input: Record<string, unknown> = {};
  const problems: Record<string, string> = {};
  for (const field of fields) {
    const raw = values[field.name];
    const { control } = field;
    if (control.kind === 'toggle') {
      input[field.name] = raw === true;
      continue;
    }
    const text = typeof raw === 'string' ? raw : '';
    if (text.trim() === '') {
      if (field.required) problems[field.name] = control.kind === 'file' ? 'choose a file or give a URL' : 'is required';
      continue;
    }
    switch (control.kind) {
      case 'select': {
        const option = control.options.find((candidate) => String(candidate) === text);
        if (option === undefined) problems[field.name] = `must be one of ${control.options.join(', ')}`;
        else input[field.name] = option;
        break;
      }
      case 'number': {
        const value = Number(text);
        const problem = numberProblem(control, value);
        if (problem) problems[field.name] = problem;
        else input[field.name] = value;
        break;
      }
      case 'json': {
        try {
          const value: unknown = JSON.parse(text);
          const shape = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
          if (shape !== control.expects) problems[field.name] = `must be a JSON ${control.expects}`;
          else input[field.name] = value;
        } catch {
          problems[field.name] = `must be a JSON ${control.expects}`;
        }
        break;
      }
      case 'text':
        if (control.maxLength !== undefined && text.length > control.maxLength) problems[field.name] = `must be at most ${control.maxLength} characters (now ${text.length})`;
        else input[field.name] = text;
        break;
      case 'file':
        input[field.name] = text.trim();
        break;
    }
  }
  return { input, problems };
}

/** The field a server validation error names (`detail[].loc` is `["body", <field>, ...]`). */
export function fieldOfLocation(loc: readonly unknown[], fields: readonly FieldSpec[]): string | undefined {
  const names = new Set(fields.map((field) => field.name));
  return loc.map(String).find((part) => names.has(part));
}
