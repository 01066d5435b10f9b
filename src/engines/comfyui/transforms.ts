/**
 * The transforms a workflow binding may name. Each turns one or more job inputs into named values
 * (`value`, `width`, …) that the binding's `to` map writes into node inputs. A new workflow is
 * data that uses these; a new kind of transform is the only thing that needs code.
 */
import type { ResolvedFile } from '../engine.ts';
import { derivedSeed } from '../seed.ts';

export interface TransformContext {
  modelId: string;
  input: Record<string, unknown>;
  files: Record<string, ResolvedFile>;
  /** Uploads a file input to the server that will run the prompt; resolves with the name LoadImage takes. */
  upload(field: string): Promise<string>;
}

/** `inputs` maps the transform's roles (`value`, `image`, `size`, …) to the job's input fields. */
export interface Transform {
  /** The roles it reads; `value` is the binding's `input`. */
  roles: readonly string[];
  /** The names of the values it produces, for checking a binding's `to` at load time. */
  produces: readonly string[];
  apply(args: Record<string, unknown>, options: Record<string, unknown>, context: TransformContext, fields: Record<string, string>): Promise<Record<string, unknown>> | Record<string, unknown>;
}

/** `1024x768`, `1024:768`, `2048x2048(1:1)`, `1152:864 (4:3)` → [1024, 768]. */
export function parseSize(value: unknown): [number, number] {
  const match = typeof value === 'string' ? /^\s*(\d+)\s*[x×:]\s*(\d+)\s*(?:\(.*\))?\s*$/.exec(value) : null;
  if (!match) throw new Error(`${JSON.stringify(value)} is not a size such as 1024x768 or 1024:768`);
  return [Number(match[1]), Number(match[2])];
}

const roundTo = (value: number, multiple: number) => Math.max(multiple, Math.round(value / multiple) * multiple);

function numberOption(options: Record<string, unknown>, key: string, fallback: number): number {
  const value = options[key];
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}

export const TRANSFORMS: Readonly<Record<string, Transform>> = {
  /** The input as it is (after the binding's `map`). */
  value: { roles: ['value'], produces: ['value'], apply: ({ value }) => ({ value }) },

  /**
   * A size string → the exact `width`/`height`, and `scaled_width`/`scaled_height`: the same
   * aspect at `megapixels` (default: the exact size), rounded to `multiple` (default 8), which is
   * what a model generates at before an upscale node brings it to the exact size.
   */
  size: {
    roles: ['value'],
    produces: ['width', 'height', 'scaled_width', 'scaled_height'],
    apply({ value }, options) {
      const [width, height] = parseSize(value);
      const multiple = numberOption(options, 'multiple', 8);
      const megapixels = numberOption(options, 'megapixels', (width * height) / 1e6);
      const factor = Math.sqrt((megapixels * 1e6) / (width * height));
      return { width, height, scaled_width: roundTo(width * factor, multiple), scaled_height: roundTo(height * factor, multiple) };
    },
  },

  /** The input's seed when the request has one; otherwise one derived from the model and the whole input (same request, same seed). */
  seed: {
    roles: ['value'],
    produces: ['value'],
    apply({ value }, options, context) {
      if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return { value };
      const seed = derivedSeed(context.modelId, { ...context.input, seed: undefined });
      const max = numberOption(options, 'max', 0xffffffff);
      return { value: seed % (max + 1) };
    },
  },

  /** A file input, uploaded with /upload/image → the name LoadImage's `image` takes. */
  upload: {
    roles: ['value'],
    produces: ['value'],
    async apply(_args, _options, context, fields) {
      return { value: await context.upload(fields.value!) };
    },
  },

  /**
   * Seconds → `frames` (exactly seconds × fps) and `length`: the smallest length the model
   * accepts (`step`·k + 1) that is at least `frames`; a batch node then keeps the first `frames`.
   */
  frames: {
    roles: ['value'],
    produces: ['frames', 'length'],
    apply({ value }, options) {
      if (typeof value !== 'number' || !(value > 0)) throw new Error(`${JSON.stringify(value)} is not a duration in seconds`);
      const frames = Math.round(value * numberOption(options, 'fps', 24));
      const step = numberOption(options, 'step', 4);
      return { frames, length: Math.ceil((frames - 1) / step) * step + 1 };
    },
  },

  /**
   * Outpainting to an exact size: the source image (`image`, a file input) is fitted inside the
   * target (`size`, a size string) without cropping, its size rounded down to `multiple`
   * (default 8), and centred; the pads fill the rest, so scaled + pads = the target exactly.
   */
  outpaint: {
    roles: ['image', 'size'],
    produces: ['width', 'height', 'scaled_width', 'scaled_height', 'left', 'top', 'right', 'bottom'],
    apply({ size }, options, context, fields) {
      const [width, height] = parseSize(size);
      const file = context.files[fields.image!];
      if (!file?.width || !file.height) throw new Error(`input ${fields.image} is not an image with a known size`);
      const multiple = numberOption(options, 'multiple', 8);
      const fit = Math.min(width / file.width, height / file.height);
      const down = (v: number) => Math.max(multiple, Math.floor(v / multiple) * multiple);
      const scaledWidth = Math.min(width, down(file.width * fit));
      const scaledHeight = Math.min(height, down(file.height * fit));
      const left = Math.floor((width - scaledWidth) / 2 / multiple) * multiple;
      const top = Math.floor((height - scaledHeight) / 2 / multiple) * multiple;
      return {
        width, height, scaled_width: scaledWidth, scaled_height: scaledHeight,
        left, top, right: width - scaledWidth - left, bottom: height - scaledHeight - top,
      };
    },
  },
};
