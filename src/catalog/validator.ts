/**
 * Compiles each model's input schema once with Ajv and turns its errors into the API's
 * `detail` entries, each naming the field and saying why in words a client can act on, and
 * never more of them than bounded-detail.ts allows.
 */
import { Ajv, type ErrorObject, type SchemaValidateFunction, type ValidateFunction } from 'ajv';
import type { ErrorDetail } from '../errors.ts';
import { boundDetail } from './bounded-detail.ts';
import { MAX_JSON_LENGTH_KEYWORD } from './normalise.ts';
import type { JsonSchema } from './types.ts';

export type InputValidator = (input: unknown) => { ok: true; value: Record<string, unknown> } | { ok: false; detail: ErrorDetail[] };

/** Free-form objects are bounded by their size written as JSON (normalise.ts says why). */
const maxJsonLength: SchemaValidateFunction = (limit: number, data: unknown) => {
  if (JSON.stringify(data).length <= limit) return true;
  maxJsonLength.errors = [{ keyword: MAX_JSON_LENGTH_KEYWORD, params: { limit } }];
  return false;
};

export function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, coerceTypes: false });
  // The seeds' file rules ride on the schema; Ajv only has to know the keyword exists.
  ajv.addKeyword({ keyword: 'validations', schemaType: 'array' });
  ajv.addKeyword({ keyword: MAX_JSON_LENGTH_KEYWORD, type: 'object', schemaType: 'number', errors: true, validate: maxJsonLength });
  return ajv;
}

function fieldPath(error: ErrorObject): Array<string | number> {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  if (error.keyword === 'required') path.push(String(error.params.missingProperty));
  if (error.keyword === 'additionalProperties') path.push(String(error.params.additionalProperty));
  return path;
}

function describe(error: ErrorObject): { msg: string; type: string } {
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { msg: 'field required', type: 'missing' };
    case 'additionalProperties':
      return { msg: 'unknown field: not part of this model\'s input schema', type: 'extra_forbidden' };
    case 'enum':
      return { msg: `must be one of: ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`, type: 'enum' };
    case 'type':
      return { msg: `must be of type ${String(p.type)}`, type: 'type' };
    case 'maxLength':
      return { msg: `must be at most ${String(p.limit)} characters`, type: 'max_length' };
    case MAX_JSON_LENGTH_KEYWORD:
      return { msg: `must be at most ${String(p.limit)} characters written as JSON`, type: 'max_length' };
    case 'minLength':
      return { msg: `must be at least ${String(p.limit)} characters`, type: 'min_length' };
    case 'maximum':
      return { msg: `must be less than or equal to ${String(p.limit)}`, type: 'less_than_equal' };
    case 'minimum':
      return { msg: `must be greater than or equal to ${String(p.limit)}`, type: 'greater_than_equal' };
    case 'exclusiveMaximum':
      return { msg: `must be less than ${String(p.limit)}`, type: 'less_than' };
    case 'exclusiveMinimum':
      return { msg: `must be greater than ${String(p.limit)}`, type: 'greater_than' };
    default:
      return { msg: error.message ?? 'is invalid', type: error.keyword };
  }
}

/**
 * Ajv reports `type` and then `enum`/bounds for one bad value; the first says it best, except on
 * an enum field, where the enum error (listing the allowed values) wins: `"5"` for an integer
 * enum is reported as `enum` like any other value outside the list.
 */
function oneErrorPerField(errors: ErrorObject[]): ErrorObject[] {
  const enumFields = new Set(errors.filter((error) => error.keyword === 'enum').map((error) => JSON.stringify(fieldPath(error))));
  const seen = new Set<string>();
  return errors.filter((error) => {
    const key = JSON.stringify(fieldPath(error));
    if (error.keyword === 'type' && enumFields.has(key)) return false;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * The input with each string far over its field's maxLength replaced by a short one that is just
 * over it: the verdict is the same, but Ajv counts characters one by one and structuredClone copies
 * them, which took 100 ms for a 13 MiB prompt. Over twice the limit in UTF-16 units is over it in
 * characters too, since a character takes at most two units.
 */
function withStandIns(input: Record<string, unknown>, maxLengths: ReadonlyArray<[string, number]>): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const [field, max] of maxLengths) {
    const value = Object.hasOwn(input, field) ? input[field] : undefined;
    if (typeof value === 'string' && value.length > 2 * max) (copy ??= { ...input })[field] = 'x'.repeat(max + 1);
  }
  return copy ?? input;
}

export function compileInputValidator(ajv: Ajv, schema: JsonSchema): InputValidator {
  const validate: ValidateFunction = ajv.compile(schema);
  const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
  const maxLengths = Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>).flatMap(([field, property]): Array<[string, number]> =>
    typeof property.maxLength === 'number' ? [[field, property.maxLength]] : [],
  );
  return (input) => {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      return { ok: false, detail: [{ loc: ['body'], msg: 'the request body must be a JSON object', type: 'type' }] };
    }
    // `required` means the client must send the field. Ajv fills defaults before it checks
    // `required`, which would turn a forgotten prompt into the seed's sample prompt, so presence
    // is checked here, on the input as sent.
    const missing = required.filter((field) => !Object.hasOwn(input, field));
    // Defaults are applied to a copy: the caller's object is never changed behind its back.
    const value = structuredClone(withStandIns(input as Record<string, unknown>, maxLengths));
    const valid = validate(value);
    if (valid && missing.length === 0) return { ok: true, value };
    const detail: ErrorDetail[] = missing.map((field) => ({ loc: ['body', field], msg: 'field required', type: 'missing' }));
    const reported = new Set(detail.map((d) => JSON.stringify(d.loc)));
    for (const error of oneErrorPerField(validate.errors ?? [])) {
      const loc = ['body', ...fieldPath(error)];
      if (!reported.has(JSON.stringify(loc))) detail.push({ loc, ...describe(error) });
    }
    return { ok: false, detail: boundDetail(detail) };
  };
}
