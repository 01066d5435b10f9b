/**
 * The seeded random source: the same seed gives the same camera path on every machine.
 * The builtin engine's mulberry32 (../prng.ts) over a 32-bit state; `stream` separates
 * independent uses of one seed.
 */
import { prng } from '../prng.ts';

export function seededRandom(seed: number, stream = 0): () => number {
  const next = prng((Math.floor(seed) ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0);
  return () => next() / 4294967296;
}
