/**
 * MODELGATE_UNKNOWN_INPUTS=ignore: the top-level fields of a submitted body that the model's
 * input schema does not list are taken out before validation, so the job runs without them and
 * the client is told which they were. Only the top level: what sits inside a free-form object
 * (reframe's `style`) is that field's own business, bounded by its schema.
 */
import type { JsonSchema } from './types.ts';

/**
 * The most names ignored, and their longest: clients that send extras send a few short ones. The
 * names are stored with the job and shown on every status poll, so a body of 10,000 keys or a
 * 10 MiB key is not ignored but refused, as it is without the setting.
 */
export const MAX_IGNORED_FIELDS = 50;
export const MAX_IGNORED_NAME_CHARS = 100;

export interface WithoutUnknown {
  /** The body without the unknown fields; the body itself when it had none or is not an object. */
  body: unknown;
  /** The names taken out, sorted; empty when none were. */
  ignored: string[];
}

/** Undefined when the unknown fields are past the bounds above: the body is then validated as sent. */
export function withoutUnknownFields(schema: JsonSchema, body: unknown): WithoutUnknown | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { body, ignored: [] };
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const known: Record<string, unknown> = {};
  const ignored: string[] = [];
  for (const [field, value] of Object.entries(body)) {
    if (Object.hasOwn(properties, field)) known[field] = value;
    else if (ignored.length === MAX_IGNORED_FIELDS || field.length > MAX_IGNORED_NAME_CHARS) return undefined;
    else ignored.push(field);
  }
  if (ignored.length === 0) return { body, ignored };
  // Code-unit order, the same on every machine (localeCompare would follow the server's locale).
  return { body: known, ignored: ignored.sort() };
}
