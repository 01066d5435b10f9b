/**
 * The content type of a blob named by its key's extension, for a backend that keeps no metadata
 * beside the bytes (local disk). Every key we make ends in the extension of the type it was
 * stored with (outputs: the engine's extension; uploads: the sniffed format's), so the map
 * below covers what we write; anything else is served as opaque bytes.
 */
const BY_EXTENSION: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  mp4: 'video/mp4',
  webm: 'video/webm',
  mov: 'video/quicktime',
  mkv: 'video/x-matroska',
  json: 'application/json',
  txt: 'text/plain; charset=utf-8',
};

export function contentTypeOfKey(key: string): string {
  const extension = /\.([A-Za-z0-9]+)$/.exec(key)?.[1]?.toLowerCase();
  return (extension && BY_EXTENSION[extension]) || 'application/octet-stream';
}
