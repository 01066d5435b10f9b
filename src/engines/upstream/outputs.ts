/**
 * Copies the upstream's outputs into files in the attempt's work dir, streamed (a video is never
 * held in memory), and hands them back as EngineOutputs: the worker stores them in our blob store,
 * so the URLs our clients get outlive the upstream's (RunComfy deletes results after days).
 *
 * Which URLs are fetched how (a deliberate policy, docs/engines.md "upstream"):
 *   - on the base_url's origin: with the engine's own connection pool. The operator chose that
 *     origin, so it may be a private address (another ModelGate on the LAN). No redirects.
 *   - anywhere else (a provider's CDN): through the same SSRF-safe fetcher as client inputs
 *     (https only, public addresses only, pinned, redirects re-checked), unless the operator lists
 *     the host in output_allow_hosts. The token is never sent there.
 * The type is sniffed from the bytes; the upstream's Content-Type is used only for a format we do
 * not sniff, and only when it is a plain image/ or video/ type of the right kind, so an upstream
 * cannot make our origin serve HTML.
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { formatBytes } from '../../inputs/body-limits.ts';
import { InputError } from '../../inputs/errors.ts';
import { fetchToFile } from '../../inputs/safe-fetch.ts';
import { SNIFF_BYTES, sniffBytes } from '../../inputs/sniff.ts';
import { EngineError, type EngineOutput } from '../engine.ts';
import { OutputTooLarge, TransientError, type UpstreamHttp, UpstreamRefused } from './http.ts';
import type { UpstreamOptions } from './options.ts';
import { withRetries, type RetryContext } from './retry.ts';

export interface OutputRef {
  url: string;
  kind: 'image' | 'video';
}

/** `{image, images[], video, videos[]}` (the catalog's output schema) in that order. */
export function outputRefs(output: unknown): OutputRef[] {
  const refs: OutputRef[] = [];
  const add = (value: unknown, kind: OutputRef['kind']) => {
    for (const url of Array.isArray(value) ? value : [value]) if (typeof url === 'string' && url !== '') refs.push({ url, kind });
  };
  if (typeof output === 'string') add(output, 'image');
  else if (output && typeof output === 'object') {
    const o = output as Record<string, unknown>;
    add(o.image, 'image');
    add(o.images, 'image');
    add(o.video, 'video');
    add(o.videos, 'video');
  }
  return refs;
}

const DECLARED_TYPES: Record<OutputRef['kind'], Record<string, string>> = {
  image: { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp', 'image/gif': 'gif' },
  video: { 'video/mp4': 'mp4', 'video/webm': 'webm', 'video/quicktime': 'mov' },
};

async function readHead(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The output's type: sniffed, else a declared image/video type of the expected kind, else opaque bytes. */
export async function typeOf(path: string, ref: OutputRef, declared: string | undefined): Promise<Pick<EngineOutput, 'kind' | 'contentType' | 'extension'>> {
  const sniffed = sniffBytes(await readHead(path));
  if (sniffed.ok) return { kind: sniffed.type.kind, contentType: sniffed.type.contentType, extension: sniffed.type.extension };
  const media = declared?.split(';')[0]?.trim().toLowerCase();
  const extension = media ? DECLARED_TYPES[ref.kind][media] : undefined;
  if (media && extension) return { kind: ref.kind, contentType: media, extension };
  return { kind: ref.kind, contentType: 'application/octet-stream', extension: 'bin' };
}

export interface CopyContext extends RetryContext {
  http: UpstreamHttp;
  options: RetryContext['options'] & Pick<UpstreamOptions, 'maxOutputBytes' | 'outputAllowHosts' | 'outputAllowHttp' | 'requestTimeoutMs' | 'timeoutMs'>;
  workDir: string;
}

async function copyOne(ref: OutputRef, index: number, ctx: CopyContext): Promise<EngineOutput> {
  const { http, options, signal, workDir } = ctx;
  let url: URL;
  try {
    url = new URL(ref.url);
  } catch {
    throw new EngineError('upstream_bad_output', `The upstream returned output ${index + 1} as ${JSON.stringify(ref.url.slice(0, 200))}, which is not a URL.`);
  }
  let attempt = 0;
  const copied = await withRetries(`copying output ${index + 1}`, async () => {
    // A new file name per try: both writers create their file exclusively.
    const dest = join(workDir, `upstream-output-${index}-${attempt++}`);
    try {
      if (http.isOwnOrigin(url)) return { dest, ...(await http.download(url, dest, options.maxOutputBytes, signal)) };
      const fetched = await fetchToFile(url.href, dest, {
        maxBytes: options.maxOutputBytes,
        allowHttp: options.outputAllowHttp,
        allowHosts: options.outputAllowHosts,
        connectTimeoutMs: options.requestTimeoutMs,
        headersTimeoutMs: options.requestTimeoutMs,
        idleTimeoutMs: options.requestTimeoutMs,
        totalTimeoutMs: options.timeoutMs,
        signal,
        userAgent: 'ModelGate-upstream-engine',
      });
      return { dest, contentType: undefined, sizeBytes: fetched.sizeBytes };
    } catch (error) {
      throw copyError(error, index, url, options.maxOutputBytes, signal);
    }
  }, ctx);
  return { ...(await typeOf(copied.dest, ref, copied.contentType)), data: { path: copied.dest } };
}

/** Transient failures stay retryable; refusals become a failed job naming the output and why. */
function copyError(error: unknown, index: number, url: URL, maxBytes: number, signal: AbortSignal): unknown {
  if (signal.aborted) return signal.reason;
  const where = `output ${index + 1} (${url.origin})`;
  if (error instanceof OutputTooLarge || (error instanceof InputError && error.reason === 'too_large')) {
    return new EngineError('upstream_bad_output', `The upstream's ${where} is larger than max_output_mb (${formatBytes(maxBytes)}).`);
  }
  if (error instanceof UpstreamRefused) return new EngineError('upstream_bad_output', `The upstream's ${where} could not be copied: HTTP ${error.status}.`);
  if (error instanceof InputError) {
    if (error.reason === 'connect' || error.reason === 'timeout' || (error.reason === 'http_status' && Number(error.details.status) >= 500)) {
      return new TransientError(`${where}: ${error.message}`);
    }
    // The fetcher speaks of "the input URL"; the words after it are what matters here.
    return new EngineError('upstream_bad_output', `The upstream's ${where} was not copied: ${error.message.replace(/^the input (URL|file)/i, 'it')}. ` +
      'Outputs on another origin than base_url are fetched like client inputs (public https only); list the host in output_allow_hosts to trust it.');
  }
  return error;
}

export async function copyOutputs(refs: readonly OutputRef[], ctx: CopyContext, progress: (fraction: number) => void): Promise<EngineOutput[]> {
  const outputs: EngineOutput[] = [];
  for (const [index, ref] of refs.entries()) {
    outputs.push(await copyOne(ref, index, ctx));
    progress((index + 1) / refs.length);
  }
  return outputs;
}
