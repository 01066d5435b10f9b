/**
 * Frames rendered by the WebAssembly sampler (sampler.wat: SIMD vertical pass, scalar horizontal
 * pass), byte for byte what the TypeScript renderPlane computes, about twice as fast. One instance
 * per job holds the working image in its own memory; render() returns a view of the frame that
 * stays valid until the next call.
 */
import type { Rect } from './camera.ts';
import type { YuvImage } from './color.ts';
import { filterTaps, type Plane } from './sampler.ts';
import { SAMPLER_WASM } from './sampler-wasm-binary.ts';

// The project's type libraries (ES2023 + node) do not describe WebAssembly; the little used here:
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
export interface WasmModule {
  readonly compiled: unknown;
}
const WebAssemblyApi = (globalThis as unknown as {
  WebAssembly: {
    Module: new (bytes: Uint8Array) => unknown;
    Instance: new (module: unknown) => { exports: unknown };
  };
}).WebAssembly;

interface SamplerExports {
  memory: WasmMemory;
  vertical(src: number, srcWidth: number, first: number, columns: number, rows: number, taps: number, count: number, mid: number, stride: number): void;
  horizontal(mid: number, stride: number, rows: number, taps: number, count: number, outWidth: number, out: number): void;
}

let compiled: WasmModule | null | undefined;

/** The compiled module, or null where WebAssembly SIMD is unavailable (then the TypeScript path runs). */
export function samplerModule(): WasmModule | null {
  if (compiled === undefined) {
    try {
      compiled = { compiled: new WebAssemblyApi.Module(Buffer.from(SAMPLER_WASM, 'base64')) };
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

const align = (value: number) => Math.ceil(value / 16) * 16;
const SLACK = 64;

export class WasmFrameRenderer {
  private readonly exports: SamplerExports;
  private readonly planes: { offset: number; plane: Plane }[];
  private readonly mid: number;
  private readonly vTaps: number;
  private readonly hTaps: number;
  private readonly out: number;
  private readonly frameBytes: number;

  constructor(module: WasmModule, base: YuvImage, private readonly width: number, private readonly height: number) {
    this.exports = new WebAssemblyApi.Instance(module.compiled).exports as SamplerExports;
    let end = 0;
    const reserve = (bytes: number) => {
      const at = end;
      end = align(end + bytes + SLACK);
      return at;
    };
    this.planes = [base.y, base.u, base.v].map((plane) => ({ offset: reserve(plane.data.length), plane }));
    // Windows are at most twice the output, so a scratch row has at most 2·width + 5 samples.
    this.mid = reserve((align(2 * width + 6) + 16) * height * 2);
    this.vTaps = reserve(height * 20);
    this.hTaps = reserve(width * 20);
    this.frameBytes = width * height * 1.5;
    this.out = reserve(this.frameBytes);
    const memory = this.exports.memory;
    const pages = Math.ceil(end / 65536) - memory.buffer.byteLength / 65536;
    if (pages > 0) memory.grow(pages);
    const bytes = new Uint8Array(memory.buffer);
    for (const { offset, plane } of this.planes) bytes.set(plane.data, offset);
  }

  private plane(index: number, window: Rect, outOffset: number, outWidth: number, outHeight: number): void {
    const { offset, plane } = this.planes[index]!;
    const across = filterTaps(window.x, window.width, outWidth, plane.width);
    const down = filterTaps(window.y, window.height, outHeight, plane.height);
    const first = across.start[0]!;
    const columns = across.start[outWidth - 1]! + across.count - first;
    const stride = align(columns + 1);
    const records = new Int32Array(this.exports.memory.buffer);
    let r = this.vTaps / 4;
    for (let j = 0; j < outHeight; j++, r += 5) {
      records[r] = down.start[j]!;
      for (let k = 0; k < 4; k++) records[r + 1 + k] = k < down.count ? down.weights[k]![j]! : 0;
    }
    r = this.hTaps / 4;
    for (let i = 0; i < outWidth; i++, r += 5) {
      records[r] = across.start[i]! - first;
      for (let k = 0; k < 4; k++) records[r + 1 + k] = k < across.count ? across.weights[k]![i]! : 0;
    }
    this.exports.vertical(offset, plane.width, first, columns, outHeight, this.vTaps, down.count, this.mid, stride);
    this.exports.horizontal(this.mid, stride, outHeight, this.hTaps, across.count, outWidth, this.out + outOffset);
  }

  /** The yuv420p frame for `window`: a view into this instance's memory until the next call. */
  render(window: Rect): Uint8Array {
    const { width, height } = this;
    this.plane(0, window, 0, width, height);
    const half = { x: window.x / 2, y: window.y / 2, width: window.width / 2, height: window.height / 2 };
    this.plane(1, half, width * height, width / 2, height / 2);
    this.plane(2, half, width * height * 1.25, width / 2, height / 2);
    return new Uint8Array(this.exports.memory.buffer, this.out, this.frameBytes);
  }
}
