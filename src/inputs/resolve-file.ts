/**
 * The one entry point for a file-typed input value: a data: URI, an upload of ours (found
 * through an injected hook), or an http(s) URL fetched under every SSRF rule. The result is a
 * local file in `workDir`, measured, and checked against the catalog's `validations` rules, in
 * the ResolvedInput shape (inputs/measured-file.ts) engines take. Every failure is an InputError and leaves no file behind.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { checkFileRules } from '../catalog/file-rules.ts';
import type { FileKind, FileRule } from '../catalog/types.ts';
import type { HostAllowList } from './address-policy.ts';
import { formatBytes } from './body-limits.ts';
import { isDataUri, writeDataUri } from './data-uri.ts';
import { InputError } from './errors.ts';
import { inspectFile } from './inspect-file.ts';
import type { Resolver } from './resolve-host.ts';
import type { InputForm, ResolvedInput } from './measured-file.ts';
import { fetchToFile, type FetchOptions } from './safe-fetch.ts';
import { DEFAULT_INPUT_LIMITS, type InputLimits } from './settings.ts';
import { checkUrl } from './url-policy.ts';

/** What the catalog says about a file field (FileInputSpec fits). */
export interface FileInputTarget {
  kind: FileKind;
  rules: readonly FileRule[];
}

/** A file uploaded through POST /v1/files, as the upload store hands it over. */
export interface UploadedFileRef {
  /** A local file; it is copied into workDir, never moved or modified. */
  path: string;
}

/**
 * Recognises an upload URL of ours. Return undefined for a URL that is not one (it is then
 * fetched like any URL); throw InputError('upload_not_found') for one that looks like ours but
 * is unknown, expired or belongs to another key, so it is never fetched over the network.
 */
export type UploadLookup = (value: string) => Promise<UploadedFileRef | undefined>;

export interface ResolveOptions {
  /** Where the file is written; the caller removes the directory after the attempt. */
  workDir: string;
  limits?: Partial<InputLimits>;
  allowHttp?: boolean;
  allowHosts?: HostAllowList;
  resolver?: Resolver;
  uploads?: UploadLookup;
  /** Shutdown or lost lease: the fetch stops with reason 'aborted'. */
  signal?: AbortSignal;
  ffprobePath?: string;
  /** Extra trust roots for https fetches. */
  ca?: ConnectionOptions['ca'];
  /** Base of the local file name (e.g. the field name); sanitised. */
  name?: string;
}

function localName(options: ResolveOptions): string {
  const base = (options.name ?? 'input').replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40) || 'input';
  return `${base}-${randomBytes(6).toString('hex')}`;
}

/** Data URIs and uploads: local bytes, no network. Returns undefined for anything else. */
async function acquireLocal(value: string, dest: string, maxBytes: number, limits: InputLimits, options: ResolveOptions): Promise<InputForm | undefined> {
  if (isDataUri(value)) {
    await writeDataUri(value, dest, Math.min(limits.maxDataUriBytes, maxBytes));
    return 'data';
  }
  const upload = options.uploads ? await options.uploads(value) : undefined;
  if (!upload) return undefined;
  const { size } = await stat(upload.path);
  if (size > maxBytes) throw new InputError('too_large', `the uploaded file is larger than ${formatBytes(maxBytes)}`);
  await copyFile(upload.path, dest, constants.COPYFILE_EXCL);
  return 'upload';
}

function fetchOptions(kind: FileKind, maxBytes: number, limits: InputLimits, options: ResolveOptions): FetchOptions {
  return {
    maxBytes,
    allowHttp: options.allowHttp,
    allowHosts: options.allowHosts,
    resolver: options.resolver,
    maxRedirects: limits.maxRedirects,
    maxUrlLength: limits.maxUrlLength,
    connectTimeoutMs: limits.connectTimeoutMs,
    headersTimeoutMs: limits.headersTimeoutMs,
    idleTimeoutMs: limits.idleTimeoutMs,
    totalTimeoutMs: kind === 'image' ? limits.imageTotalTimeoutMs : limits.videoTotalTimeoutMs,
    signal: options.signal,
    ca: options.ca,
  };
}

/**
 * Acquires, measures and rule-checks one value. With `deferUrls`, a plain URL gets only the
 * static policy and `undefined` comes back (submit time never waits on a download).
 */
async function resolveValue(value: unknown, target: FileInputTarget, options: ResolveOptions, deferUrls: boolean): Promise<ResolvedInput | undefined> {
  if (typeof value !== 'string' || value === '') throw new InputError('bad_url', 'a file input must be a URL or a data: URI');
  const limits = { ...DEFAULT_INPUT_LIMITS, ...options.limits };
  const maxBytes = target.kind === 'image' ? limits.maxImageBytes : limits.maxVideoBytes;
  const stem = join(options.workDir, localName(options));
  const partial = `${stem}.part`;
  let final: string | undefined;
  try {
    let form = await acquireLocal(value, partial, maxBytes, limits, options);
    if (form === undefined) {
      if (deferUrls) {
        checkUrl(value, { allowHttp: options.allowHttp, allowHosts: options.allowHosts, maxUrlLength: limits.maxUrlLength });
        return undefined;
      }
      await fetchToFile(value, partial, fetchOptions(target.kind, maxBytes, limits, options));
      form = 'url';
    }
    const file = await inspectFile(partial, {
      kind: target.kind,
      maxPixels: limits.maxPixels,
      ffprobePath: options.ffprobePath,
      probeTimeoutMs: limits.probeTimeoutMs,
    });
    const violation = checkFileRules(target.rules, file);
    if (violation) throw new InputError('rule', violation.message, { rule: violation.rule });
    final = `${stem}.${file.extension}`;
    await rename(partial, final);
    const resolved: ResolvedInput = {
      path: final,
      kind: file.kind,
      contentType: file.contentType,
      sizeBytes: file.sizeBytes,
      width: file.width,
      height: file.height,
      form,
      format: file.format,
    };
    if (file.durationSeconds !== undefined) resolved.durationSeconds = file.durationSeconds;
    return resolved;
  } catch (error) {
    await unlink(partial).catch(() => undefined);
    if (final) await unlink(final).catch(() => undefined);
    throw error;
  }
}

/** Resolves one file input to a measured, rule-checked local file. Throws InputError. */
export async function resolveFileInput(value: unknown, target: FileInputTarget, options: ResolveOptions): Promise<ResolvedInput> {
  return (await resolveValue(value, target, options, false))!;
}

export type PrecheckResult = { form: 'url'; file: undefined } | { form: 'data' | 'upload'; file: ResolvedInput };

/**
 * Submit-time check, which never waits on a remote download: data: URIs and uploads are fully
 * resolved and rule-checked (the caller answers 422 on InputError, then deletes the file or
 * keeps it for the worker); a URL only gets the static policy (scheme, userinfo, port, literal
 * addresses) and is fetched later by the worker.
 */
export async function precheckFileInput(value: unknown, target: FileInputTarget, options: ResolveOptions): Promise<PrecheckResult> {
  const file = await resolveValue(value, target, options, true);
  return file === undefined ? { form: 'url', file: undefined } : { form: file.form === 'data' ? 'data' : 'upload', file };
}
