/**
 * Turns a seed's input schema into standard JSON Schema without editing the catalog file:
 * the seeds' quirks are handled here, at load time, so the files stay verbatim copies.
 */
import type { FileRule, JsonSchema } from './types.ts';

/** Non-standard type names the seeds use, and the JSON Schema type each means. */
const TYPE_ALIASES: Record<string, string> = { float: 'number', double: 'number', int: 'integer' };

function normaliseProperty(property: JsonSchema): JsonSchema {
  const copy: JsonSchema = { ...property };
  if (typeof copy.type === 'string' && TYPE_ALIASES[copy.type]) copy.type = TYPE_ALIASES[copy.type];
  return copy;
}

export function normaliseInputSchema(raw: JsonSchema): JsonSchema {
  const properties = (raw.properties ?? {}) as Record<string, JsonSchema>;
  return {
    ...raw,
    type: 'object',
    properties: Object.fromEntries(Object.entries(properties).map(([name, prop]) => [name, normaliseProperty(prop)])),
    // A typo in a field name must be an error, never a silently applied default.
    additionalProperties: false,
  };
}

export function fileRulesOf(property: JsonSchema | undefined): FileRule[] {
  const rules = property?.validations;
  return Array.isArray(rules) ? (rules as FileRule[]) : [];
}
