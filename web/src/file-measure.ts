/**
 * Measures a chosen file in the browser the way the server measures it after upload (bytes,
 * pixel size, seconds), so the catalog's file rules can be checked before anything is sent.
 */
import type { FileMeasures } from '../../src/catalog/file-rules.ts';

function imageSize(url: string): Promise<{ width: number; height: number } | undefined> {
  return new Promise((resolve) => {
    const image = new Image();
    image.onload = () => resolve({ width: image.naturalWidth, height: image.naturalHeight });
    image.onerror = () => resolve(undefined);
    image.src = url;
  });
}

function videoMeasures(url: string): Promise<{ width: number; height: number; durationSeconds: number } | undefined> {
  return new Promise((resolve) => {
    const video = document.createElement('video');
    video.preload = 'metadata';
    video.onloadedmetadata = () => resolve({ width: video.videoWidth, height: video.videoHeight, durationSeconds: video.duration });
    video.onerror = () => resolve(undefined);
    video.src = url;
  });
}

/**
 * `undefined` pixel measures mean the browser could not decode the file (a format it does not
 * show, say TIFF): the server, which can, then has the last word.
 */
export async function measureFile(file: File): Promise<{ measures: FileMeasures; decoded: boolean }> {
  const url = URL.createObjectURL(file);
  try {
    const size = file.type.startsWith('video/') ? await videoMeasures(url) : await imageSize(url);
    return { measures: { sizeBytes: file.size, ...size }, decoded: size !== undefined };
  } finally {
    URL.revokeObjectURL(url);
  }
}
