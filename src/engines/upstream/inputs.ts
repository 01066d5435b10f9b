/**
 * The body sent upstream: the job's fully defaulted input, with each file input replaced
 * according to `file_inputs`. By the time the engine runs, the worker has already fetched every
 * file through the SSRF-safe fetcher and checked it against our size, pixel and file rules
 * (job.files), so what goes upstream is decided from those checked bytes:
 *   data_uri (default)  the checked bytes inline, `data:<sniffed type>;base64,…`, up to
 *                       max_inline_mb: the upstream sees exactly what we validated, fetches nothing,
 *                       and never needs to reach our own upload URLs. ModelGate accepts data: URIs;
 *                       RunComfy documents only URLs.
 *   url                 the client's URL, forwarded as sent (RunComfy's documented way: the
 *                       provider fetches public HTTPS URLs itself). Inputs that were uploads or
 *                       data: URIs here (our own `/v1/files/` URLs, which a provider cannot use)
 *                       are sent inline instead.
 *   upload              the checked bytes re-uploaded with POST /v1/files (a ModelGate extension),
 *                       streamed from disk: for files too big to inline when the upstream is a ModelGate.
 * Each upload happens once per attempt, before the submit, so a retried submit repeats the same
 * body and the Idempotency-Key still matches.
 */
import { openAsBlob } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { FormData } from 'undici';
import { formatBytes } from '../../inputs/body-limits.ts';
import { EngineError, type EngineJob, type ResolvedFile } from '../engine.ts';
import { refusedError } from './errors.ts';
import { UpstreamRefused, type UpstreamHttp } from './http.ts';
import type { UpstreamOptions } from './options.ts';
import { withRetries, type RetryContext } from './retry.ts';

/** Our upload URLs (uploads/uploads.ts): never forwarded, the upstream could not use them. */
const OWN_UPLOAD_PATH = /\/v1\/files\/file_[0-9a-f]{24}$/;

function forwardable(value: unknown): value is string {
  if (typeof value !== 'string' || !/^https?:\/\//i.test(value)) return false;
  try {
    return !OWN_UPLOAD_PATH.test(new URL(value).pathname);
  } catch {
    return false;
  }
}

async function inline(field: string, file: ResolvedFile, options: Pick<UpstreamOptions, 'maxInlineBytes'>): Promise<string> {
  if (file.sizeBytes > options.maxInlineBytes) {
    throw new EngineError('input_too_large', `${field}: the file (${formatBytes(file.sizeBytes)}) is larger than this engine sends inline (max_inline_mb, ${formatBytes(options.maxInlineBytes)}). ` +
      'Raise max_inline_mb if the upstream accepts it, or set file_inputs to "upload" (a ModelGate upstream) or "url" (the upstream fetches URLs itself); see docs/engines.md.');
  }
  return `data:${file.contentType};base64,${(await readFile(file.path)).toString('base64')}`;
}

async function upload(field: string, file: ResolvedFile, http: UpstreamHttp, retry: RetryContext): Promise<string> {
  let response;
  try {
    response = await withRetries(`uploading ${field}`, async () => {
      // undici's own FormData: Node's global one (from its bundled undici) fails to stream in undici 7's request().
      const form = new FormData();
      // A file-backed Blob: undici streams it from disk, so a large video is never held in memory.
      form.append('file', await openAsBlob(file.path, { type: file.contentType }), `${field}.${file.contentType.split('/')[1] ?? 'bin'}`);
      return http.json('POST', '/v1/files', retry.signal, { form });
    }, retry);
  } catch (error) {
    if (error instanceof UpstreamRefused) throw refusedError(error, `the upload of ${field} (file_inputs "upload" needs a ModelGate upstream)`, retry.options.origin, retry.options.tokenEnv);
    throw error;
  }
  const url = (response.json as { url?: unknown }).url;
  if (typeof url !== 'string') throw new EngineError('upstream_bad_response', `The upstream's POST /v1/files answer for ${field} has no url.`);
  return url;
}

export async function upstreamBody(job: EngineJob, options: Pick<UpstreamOptions, 'fileInputs' | 'maxInlineBytes'>, http: UpstreamHttp, retry: RetryContext): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = { ...job.input };
  for (const [field, file] of Object.entries(job.files)) {
    const original = job.input[field];
    if (options.fileInputs === 'url' && forwardable(original)) continue;
    body[field] = options.fileInputs === 'upload' ? await upload(field, file, http, retry) : await inline(field, file, options);
  }
  return body;
}
