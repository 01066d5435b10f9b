/**
 * `modelgate run`'s file values: which input values are local files to upload first (through the
 * client's upload(): POST /v1/files, one `file` part; its answer's `url` replaces the value).
 *
 * In a file field (the model's `file_inputs`, or a field with file rules):
 *   http://…, https://…, data:…   sent as given (the server fetches or decodes it)
 *   @path, or an existing path    uploaded; the upload's URL is sent
 *   anything else                 a usage error naming the field (a path that does not exist)
 * In any other field only `@path` naming an existing file is uploaded (for servers that do not say
 * which fields take files); everything else is text, so a prompt is never mistaken for a path.
 */
import { statSync } from 'node:fs';
import type { Connection } from './connect.ts';
import { UsageError } from './usage-error.ts';

const PASS_THROUGH = /^(https?:|data:)/i;

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The local file a value names, or undefined when the value is sent as it is. */
export function localFileOf(field: string, value: string, isFileField: boolean): string | undefined {
  if (PASS_THROUGH.test(value)) return undefined;
  const explicit = value.startsWith('@');
  const path = explicit ? value.slice(1) : value;
  if (isFile(path)) return explicit || isFileField ? path : undefined;
  if (isFileField) throw new UsageError(`--${field}: no such file ${JSON.stringify(path)} (a file field takes a local path, @path, an https:// URL or a data: URI)`);
  return undefined;
}

/**
 * Replaces every local-file value of `input` with its upload's URL, in place, telling the user on
 * stderr (one line per file). Resolves with how many files were uploaded.
 */
export async function uploadLocalFiles(connection: Connection, input: Record<string, unknown>, fileFields: ReadonlyMap<string, string>): Promise<number> {
  let uploaded = 0;
  for (const [field, value] of Object.entries(input)) {
    if (typeof value !== 'string') continue;
    const path = localFileOf(field, value, fileFields.has(field));
    if (path === undefined) continue;
    process.stderr.write(`uploading ${path} for ${field}\n`);
    input[field] = (await connection.client.upload(path)).url;
    uploaded++;
  }
  return uploaded;
}
