/**
 * What the two text-to-image catalog models' inputs mean for a diffusion run.
 *
 * bytedance/dreamina-4-0/text-to-image
 *   `width×height` "2048x2048(1:1)"  → exactly that many output pixels
 *   `scale` 0…1                      → guidance = 1 + scale × (guidance_max − 1)  (0 → no guidance)
 *   `force_single`                   → one image (this engine always makes exactly one for dreamina)
 * bytedance/seedream-5/lite/text-to-image
 *   `resolution` "2304x1728 (4:3)"   → exactly that many pixels
 *   `resolution` "2K" / "3K"         → the listed 2K/3K size whose aspect the prompt asks for (aspectFromPrompt)
 *   `sequential_image_generation` "auto" + `max_images` N → N images: the same prompt, seeds s, s+1, …
 *   `output_format` png / jpeg; `optimize_prompt_options` "standard" (the only value) changes nothing
 *   guidance: the engine's default (the dreamina mapping at scale 0.5)
 * Seed: jobSeed (../seed.ts), the input's own or one derived from the model and the input, so the
 * same request gives the same bytes.
 */
import { jobSeed } from '../seed.ts';

export const DREAMINA = 'bytedance/dreamina-4-0/text-to-image';
export const SEEDREAM = 'bytedance/seedream-5/lite/text-to-image';

export interface Plan {
  prompt: string;
  width: number;
  height: number;
  count: number;
  format: 'png' | 'jpeg';
  /** 0…1 as dreamina's `scale`; undefined: the engine's default guidance. */
  scale: number | undefined;
  seed: number;
}

/** The aspect ratios seedream offers, with its 2K and 3K sizes (from the catalog's enum). */
const SEEDREAM_SIZES: Record<string, { '2K': [number, number]; '3K': [number, number] }> = {
  '1:1': { '2K': [2048, 2048], '3K': [3072, 3072] },
  '4:3': { '2K': [2304, 1728], '3K': [3456, 2592] },
  '3:4': { '2K': [1728, 2304], '3K': [2592, 3456] },
  '16:9': { '2K': [2848, 1600], '3K': [4096, 2304] },
  '9:16': { '2K': [1600, 2848], '3K': [2304, 4096] },
  '3:2': { '2K': [2496, 1664], '3K': [3744, 2496] },
  '2:3': { '2K': [1664, 2496], '3K': [2496, 3744] },
  '21:9': { '2K': [3136, 1344], '3K': [4704, 2016] },
};

/** Words that state an aspect or a use, and the ratio each means. */
const ASPECT_WORDS: Array<[RegExp, string]> = [
  [/\b(square|icon|avatar|logo|profile picture)\b/, '1:1'],
  [/\b(vertical|phone|mobile|smartphone|story|stories|reel|tiktok)\b/, '9:16'],
  [/\b(portrait|poster|tall|book cover)\b/, '3:4'],
  [/\b(landscape|horizontal)\b/, '4:3'],
  [/\b(wide|widescreen|desktop|wallpaper|youtube|thumbnail|banner)\b/, '16:9'],
  [/\b(panorama|panoramic|ultra-?wide|cinematic|cinemascope)\b/, '21:9'],
];

/**
 * The aspect a prompt asks for: a ratio written out ("16:9", "3 : 2") that seedream offers wins;
 * otherwise the earliest word of ASPECT_WORDS in the prompt; otherwise 1:1.
 */
export function aspectFromPrompt(prompt: string): string {
  const text = prompt.toLowerCase();
  for (const match of text.matchAll(/\b(\d{1,2})\s*:\s*(\d{1,2})\b/g)) {
    const ratio = `${match[1]}:${match[2]}`;
    if (SEEDREAM_SIZES[ratio]) return ratio;
  }
  let best: { at: number; ratio: string } | undefined;
  for (const [pattern, ratio] of ASPECT_WORDS) {
    const at = text.search(pattern);
    if (at >= 0 && (!best || at < best.at)) best = { at, ratio };
  }
  return best?.ratio ?? '1:1';
}

function parseSize(value: string, field: string): [number, number] {
  const match = /^(\d+)x(\d+)/.exec(value);
  if (!match) throw new Error(`${field} ${JSON.stringify(value)} is not a WIDTHxHEIGHT size`);
  return [Number(match[1]), Number(match[2])];
}

/** Returns null for a model this mapping does not know. */
export function planFor(modelId: string, input: Record<string, unknown>): Plan | null {
  const prompt = typeof input.prompt === 'string' ? input.prompt : '';
  const seed = jobSeed(modelId, input);
  if (modelId === DREAMINA) {
    const [width, height] = parseSize(String(input['width×height'] ?? '2048x2048(1:1)'), 'width×height');
    const scale = typeof input.scale === 'number' ? Math.min(Math.max(input.scale, 0), 1) : 0.5;
    return { prompt, width, height, count: 1, format: 'png', scale, seed };
  }
  if (modelId === SEEDREAM) {
    const resolution = String(input.resolution ?? '2304x1728 (4:3)');
    const [width, height] = resolution === '2K' || resolution === '3K'
      ? SEEDREAM_SIZES[aspectFromPrompt(prompt)]![resolution]
      : parseSize(resolution, 'resolution');
    const count = input.sequential_image_generation === 'auto' ? Math.min(Math.max(Number(input.max_images ?? 15), 1), 15) : 1;
    const format = input.output_format === 'jpeg' ? 'jpeg' : 'png';
    return { prompt, width, height, count, format, scale: undefined, seed };
  }
  return null;
}

/**
 * The size to generate at for a requested size: the model's native pixel area (latent sample_size ×
 * VAE scale, squared) at the requested aspect, each side a multiple of `multiple` pixels.
 */
export function nativeSize(width: number, height: number, nativeSide: number, multiple: number): [number, number] {
  const area = nativeSide * nativeSide;
  const aspect = width / height;
  const side = (value: number) => Math.max(multiple, Math.round(value / multiple) * multiple);
  return [side(Math.sqrt(area * aspect)), side(Math.sqrt(area / aspect))];
}
