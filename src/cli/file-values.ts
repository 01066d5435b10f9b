/**
 * `modelgate run`'s file values: which input values are local files to upload first, and the
 * upload itself (POST /v1/files, multipart, one `file` part; its answer's `url` replaces the value).
 *
 * In a file field (the model's `file_inputs`, or a field with file rules):
 *   http://…, https://…, data:…   sent as given (the server fetches or decodes it)
 *   @path, or an existing path    uploaded; the upload's URL is sent
 *   anything else                 a usage error naming the field (a path that does not exist)
 * In any other field only `@path` naming an existing file is uploaded (for servers that do not say
 * which fields take files); everything else is text, so a prompt is never mistaken for a path.
 */
import { openAsBlob, statSync } from 'node:fs';
import { basename } from 'node:path';
import { ModelGateApiError, ModelGateConnectionError } from '../client/index.ts';
import type { ErrorEnvelope } from '../errors.ts';
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

/** Uploads one file and resolves with the URL to send as the input value. */
export async function uploadFile(connection: Connection, path: string): Promise<string> {
  const form = new FormData();
  form.append('file', await openAsBlob(path), basename(path));
  let response: Response;
  try {
    response = await fetch(`${connection.baseUrl}/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${connection.apiKey}` }, body: form });
  } catch (error) {
    throw new ModelGateConnectionError(connection.baseUrl, error);
  }
  const text = await response.text();
  const body = text ? (JSON.parse(text) as { url?: string } & Partial<ErrorEnvelope>) : {};
  if (!response.ok || typeof body.url !== 'string') throw new ModelGateApiError(response.status, body as ErrorEnvelope);
  return body.url;
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
    input[field] = await uploadFile(connection, path);
    uploaded++;
  }
  return uploaded;
}
