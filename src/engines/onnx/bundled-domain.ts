/**
 * What the bundled model (models/tiny-shapes/) can draw, read from its own files, so that a prompt
 * outside that domain still runs but the client is told why the picture is only coloured shapes.
 * The shapes and colours come from manifest.json `domain` (what training drew), the words from
 * the tokenizer's vocab.json (every other word is the unknown token to the model).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const REAL_MODEL_HINT = 'For real pictures, point the onnx engine at an exported SD-Turbo or SD 1.5 (docs/engines.md, "onnx").';

/** The engine's start notice: what text-to-image clients get from the bundled model. */
export const BUNDLED_START_NOTICE =
  'text-to-image runs on the bundled tiny-shapes model, which draws coloured circles, squares and triangles only. ' + REAL_MODEL_HINT;

/** How many unknown words a notice names before it stops listing them. */
const LISTED_WORDS = 8;

export interface ShapesDomain {
  shapes: string[];
  colours: string[];
  /** Every word the model's tokenizer knows (lower case). */
  words: Set<string>;
}

function readJson(path: string): Record<string, unknown> {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>) : {};
}

/** The domain of a model folder with a tiny-shapes manifest; undefined for any other folder. */
export function readShapesDomain(modelDir: string): ShapesDomain | undefined {
  const domain = readJson(join(modelDir, 'manifest.json')).domain as { shapes?: unknown; colours?: unknown } | undefined;
  if (!domain || !Array.isArray(domain.shapes) || typeof domain.colours !== 'object' || domain.colours === null) return undefined;
  const vocab = readJson(join(modelDir, 'tokenizer', 'vocab.json'));
  return {
    shapes: domain.shapes.map(String),
    colours: Object.keys(domain.colours),
    words: new Set(Object.keys(vocab).filter((word) => !word.startsWith('<'))),
  };
}

/** The words of a prompt as the word tokenizer splits them (tokenizer.ts WordTokenizer). */
function promptWords(prompt: string): string[] {
  return prompt.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** "a, b and c". */
function inWords(items: string[]): string {
  return items.length > 1 ? `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}` : (items[0] ?? '');
}

/**
 * The notice for a prompt that names none of the shapes the model draws (a portrait, a street
 * scene): the image is still made, but it shows coloured shapes, not what was asked. Undefined for
 * a prompt inside the domain. Unknown words are named so the client sees what was ignored.
 */
export function outsideDomainNotice(domain: ShapesDomain, prompt: string): string | undefined {
  const words = promptWords(prompt);
  if (words.some((word) => domain.shapes.includes(word))) return undefined;
  const unknown = [...new Set(words.filter((word) => !domain.words.has(word)))];
  const listed = unknown.length > LISTED_WORDS ? `${unknown.slice(0, LISTED_WORDS).join(', ')}, …` : unknown.join(', ');
  const shapes = inWords(domain.shapes.map((shape) => `${shape}s`));
  return (
    `The bundled text-to-image model (models/tiny-shapes) draws only ${shapes} in ${inWords(domain.colours)}; ` +
    `this prompt names none of those shapes, so the image does not show what it describes` +
    `${listed ? ` (words it does not know: ${listed})` : ''}. ${REAL_MODEL_HINT}`
  );
}
