/**
 * What `upload()` and `download()` need from the platform. A Blob or File works everywhere; a
 * path is read, and a download written, with node:fs, imported only when called, through a
 * specifier held in a variable so that a browser bundler never tries to resolve it.
 */
const NODE_FS = 'node:fs';
const NODE_STREAM = 'node:stream';
const NODE_STREAM_PROMISES = 'node:stream/promises';

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

function requireNode(what: string): void {
  if (!isNode()) throw new TypeError(`${what} needs Node.js; in a browser, pass a Blob or File`);
}

export interface NamedBlob {
  blob: Blob;
  filename: string;
}

/** A Blob with the file name the multipart part carries (the server decides the type from the bytes). */
export async function toNamedBlob(fileOrPath: string | Blob, filename?: string): Promise<NamedBlob> {
  if (typeof fileOrPath !== 'string') {
    const ownName = typeof File !== 'undefined' && fileOrPath instanceof File ? fileOrPath.name : undefined;
    return { blob: fileOrPath, filename: filename ?? ownName ?? 'upload' };
  }
  requireNode('uploading a path');
  const fs = (await import(/* @vite-ignore */ NODE_FS)) as typeof import('node:fs');
  // stat first: openAsBlob's own error on a missing file names neither the path nor the reason.
  const stats = await fs.promises.stat(fileOrPath);
  if (!stats.isFile()) throw new TypeError(`${fileOrPath} is not a file`);
  // openAsBlob reads the file lazily, so a large video is streamed, not held in memory.
  const blob = await fs.openAsBlob(fileOrPath);
  return { blob, filename: filename ?? fileOrPath.split(/[\\/]/).pop() ?? 'upload' };
}

/** Writes a response body to a file (Node only). */
export async function saveBody(body: ReadableStream<Uint8Array>, path: string): Promise<void> {
  requireNode('download()');
  const [fs, stream, promises] = (await Promise.all([
    import(/* @vite-ignore */ NODE_FS),
    import(/* @vite-ignore */ NODE_STREAM),
    import(/* @vite-ignore */ NODE_STREAM_PROMISES),
  ])) as [typeof import('node:fs'), typeof import('node:stream'), typeof import('node:stream/promises')];
  await promises.pipeline(stream.Readable.fromWeb(body as import('node:stream/web').ReadableStream), fs.createWriteStream(path));
}
