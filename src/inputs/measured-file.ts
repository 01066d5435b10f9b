/**
 * The one vocabulary of file inputs, from the bytes up: what a file measures (the catalog's file
 * rules read these), what it is once sniffed and probed, where it lies on this machine (what an
 * engine is given) and how it arrived. Each stage adds to the one before instead of restating it.
 */
import type { FileKind } from '../catalog/types.ts';
import type { SniffedFormat } from './sniff.ts';

/** What the file rules can test: size always, pixel size and duration where the kind has them. */
export interface FileMeasures {
  sizeBytes: number;
  width?: number;
  height?: number;
  durationSeconds?: number;
}

/** A file whose bytes were checked: its kind and content type (decided from the bytes), and its measures. */
export interface MeasuredFile extends FileMeasures {
  kind: FileKind;
  contentType: string;
}

/** A measured file on this machine's disk: what an engine is given for each file input. */
export interface LocalFile extends MeasuredFile {
  path: string;
}

/** What inspecting a file's bytes learns: also its format, the extension to store it under, and its pixel size. */
export interface InspectedFile extends MeasuredFile {
  format: SniffedFormat;
  extension: string;
  width: number;
  height: number;
}

/** How a file input arrived: a `data:` URI, an upload of the same key, or a URL fetched. */
export type InputForm = 'data' | 'upload' | 'url';

/** A job's file input resolved by the worker (or at submit): local, measured, with how it came. */
export interface ResolvedInput extends LocalFile {
  form: InputForm;
  format: SniffedFormat;
}
