/**
 * Query strings read the way a FastAPI server (whose `detail` shape RunComfy's errors use) reads
 * them: booleans in any of the spellings pydantic accepts, and a bad parameter as a 422001 that names it,
 * `loc: ["query", "<name>"]`, with a message saying what the parameter accepts, derived from the
 * same querystring schema Fastify validated with, so the two cannot disagree.
 */
import type { FastifyRequest, FastifySchemaValidationError, RouteShorthandOptions } from 'fastify';
import { ApiError, type ErrorDetail } from '../errors.ts';

interface ParameterSchema {
  type: 'string' | 'integer' | 'boolean';
  minimum?: number;
  maximum?: number;
}

export interface QuerySchema {
  properties: Record<string, ParameterSchema>;
}

function accepts(schema: ParameterSchema): string {
  if (schema.type === 'boolean') return 'true or false (or 1/0, yes/no, on/off)';
  if (schema.type === 'string') return 'a single string';
  if (schema.maximum !== undefined) return `an integer from ${schema.minimum ?? 0} to ${schema.maximum}`;
  return `an integer of at least ${schema.minimum ?? 0}`;
}

/** The FastAPI/pydantic error type a client would see for the same mistake. */
function typeOf(error: FastifySchemaValidationError, schema: ParameterSchema): string {
  if (error.keyword === 'minimum') return 'greater_than_equal';
  if (error.keyword === 'maximum') return 'less_than_equal';
  return { integer: 'int_parsing', boolean: 'bool_parsing', string: 'string_type' }[schema.type];
}

type SchemaErrorFormatter = NonNullable<RouteShorthandOptions['schemaErrorFormatter']>;

/** Used only on routes whose sole schema is the querystring, so every error is about one parameter. */
export function queryErrorFormatter(querySchema: QuerySchema): SchemaErrorFormatter {
  return (errors) => {
    const detail: ErrorDetail[] = errors.map((error) => {
      const name = error.instancePath.split('/')[1] ?? '';
      const schema = querySchema.properties[name];
      return schema
        ? { loc: ['query', name], msg: `must be ${accepts(schema)}`, type: typeOf(error, schema) }
        : { loc: ['query', name], msg: error.message ?? 'is invalid', type: error.keyword };
    });
    const message = detail.map((d) => `query parameter ${d.loc[1]} ${d.msg}`).join('; ');
    return new ApiError('invalid_input', `The request is invalid: ${message}.`, { detail });
  };
}

const BOOLEAN_WORDS = new Map([
  ...['1', 'true', 't', 'yes', 'y', 'on'].map((word) => [word, 'true'] as const),
  ...['0', 'false', 'f', 'no', 'n', 'off'].map((word) => [word, 'false'] as const),
]);

/**
 * A preValidation hook: the named parameters' pydantic spellings become "true"/"false", which the
 * schema's boolean then coerces. Python clients send `True` (str(True)); others send 1 or yes.
 */
export function booleanQueryWords(names: readonly string[]) {
  return async (request: FastifyRequest): Promise<void> => {
    const query = request.query as Record<string, unknown>;
    for (const name of names) {
      const value = query[name];
      if (typeof value === 'string') query[name] = BOOLEAN_WORDS.get(value.trim().toLowerCase()) ?? value;
    }
  };
}
