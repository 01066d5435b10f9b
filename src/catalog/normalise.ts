/**
 * Turns a seed's input schema into standard JSON Schema without editing the catalog file:
 * the seeds' quirks are handled here, at load time, so the files stay verbatim copies.
 * The same step puts a ceiling on text the seeds leave unbounded (MAX_STRING_LENGTH).
 */
import type { FileRule, JsonSchema } from './types.ts';

/** Non-standard type names the seeds use, and the JSON Schema type each means. */
const TYPE_ALIASES: Record<string, string> = { float: 'number', double: 'number', int: 'integer' };

/**
 * The most characters a text field without a seed `maxLength` takes (seedream's `prompt`). Its page
 * advises at most 600 English words (about 4,000 characters) and the seeds' own limits are 512 and
 * 800; without a ceiling a 13 MiB prompt was stored, and every status poll of its job read it.
 * File fields are exempt: their URL and data: URI limits apply (docs/api.md).
 */
export const MAX_STRING_LENGTH = 20_000;

/**
 * A keyword of ours on free-form objects (ideogram `color_palette`, `style`): the most characters
 * the object takes written as JSON, so text nested inside them is bounded like a text field.
 */
export const MAX_JSON_LENGTH_KEYWORD = 'x-maxJsonLength';

function normaliseProperty(property: JsonSchema, isFile: boolean): JsonSchema {
  const copy: JsonSchema = { ...property };
  if (typeof copy.type === 'string' && TYPE_ALIASES[copy.type]) copy.type = TYPE_ALIASES[copy.type];
  const unbounded = copy.maxLength === undefined && copy.enum === undefined;
  if (copy.type === 'string' && unbounded && !isFile) copy.maxLength = MAX_STRING_LENGTH;
  if (copy.type === 'object' && copy.properties === undefined) copy[MAX_JSON_LENGTH_KEYWORD] = MAX_STRING_LENGTH;
  return copy;
}

/** `fileFields` name the properties that carry files, which keep their own limits. */
export function normaliseInputSchema(raw: JsonSchema, fileFields: ReadonlySet<string>): JsonSchema {
  const properties = (raw.properties ?? {}) as Record<string, JsonSchema>;
  return {
    ...raw,
    type: 'object',
    properties: Object.fromEntries(Object.entries(properties).map(([name, prop]) => [name, normaliseProperty(prop, fileFields.has(name))])),
    // A typo in a field name must be an error, never a silently applied default.
    additionalProperties: false,
  };
}

export function fileRulesOf(property: JsonSchema | undefined): FileRule[] {
  const rules = property?.validations;
  return Array.isArray(rules) ? (rules as FileRule[]) : [];
}
