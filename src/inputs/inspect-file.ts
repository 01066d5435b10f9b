/**
 * Measures a local file the library (or the upload route) wrote: magic bytes first, then the
 * prober for that kind. Everything the catalog's rules and the engines need comes from here.
 */
import { stat } from 'node:fs/promises';
import type { FileKind } from '../catalog/types.ts';
import { InputError } from './errors.ts';
import { probeImage } from './probe-image.ts';
import { probeVideo } from './probe-video.ts';
import type { InspectedFile } from './measured-file.ts';
import { sniffFile } from './sniff.ts';

export interface InspectOptions {
  /** The kind the caller needs; anything else is refused with 'bad_type'. */
  kind?: FileKind;
  maxPixels?: number;
  /** Decode the image once to catch truncation (default true). */
  verifyDecode?: boolean;
  ffprobePath?: string;
  probeTimeoutMs?: number;
}


export async function inspectFile(path: string, options: InspectOptions = {}): Promise<InspectedFile> {
  const type = await sniffFile(path, options.kind);
  const { size } = await stat(path);
  const base = { kind: type.kind, format: type.format, contentType: type.contentType, extension: type.extension, sizeBytes: size };
  if (type.kind === 'image') {
    const image = await probeImage(path, { maxPixels: options.maxPixels, verifyDecode: options.verifyDecode });
    // sharp detects the format on its own; a disagreement with the sniffer means a crafted file.
    if (image.format !== type.format) throw new InputError('bad_type', 'the image content does not match its signature');
    return { ...base, width: image.width, height: image.height };
  }
  const video = await probeVideo(path, { ffprobePath: options.ffprobePath, timeoutMs: options.probeTimeoutMs });
  return { ...base, width: video.width, height: video.height, durationSeconds: video.durationSeconds };
}
