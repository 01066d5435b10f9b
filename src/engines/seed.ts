/**
 * The one seed derivation every engine uses. A job that sends an integer `seed` runs with it; a
 * job without one (the text-to-image models take none) runs with 32 bits of SHA-256 over its model
 * and its whole input, written canonically (keys sorted). So the same request gives the same
 * bytes, on a retried attempt, on another worker or another engine of the same kind, and a client
 * varies a result by changing the input or sending a seed.
 */
import { createHash } from 'node:crypto';

/** JSON with object keys sorted, so `{a, b}` and `{b, a}` derive the same seed. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The seed derived from the model and the input, whatever the input's own `seed` says. */
export function derivedSeed(modelId: string, input: Record<string, unknown>): number {
  return createHash('sha256').update(`${modelId}\n${canonical(input)}`).digest().readUInt32BE(0);
}

/** The job's own integer seed (as an unsigned 32-bit value) when it sends one, else the derived one. */
export function jobSeed(modelId: string, input: Record<string, unknown>): number {
  if (typeof input.seed === 'number' && Number.isInteger(input.seed)) return input.seed >>> 0;
  return derivedSeed(modelId, input);
}
