/**
 * Downloads one input URL to a local file, with every check of the research pipeline (§2.3):
 * URL policy → resolve all records, refuse any non-public one → connect only to the pinned
 * address → manual redirects, each hop re-checked → time limits → byte caps on decoded bytes.
 * Type sniffing (step 7) happens on the file afterwards (sniff.ts); Content-Type is not read.
 */
import { createWriteStream } from 'node:fs';
import { lstat, unlink } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { HostAllowList } from './address-policy.ts';
import { ByteLimit, decoderFor, formatBytes } from './body-limits.ts';
import { InputError } from './errors.ts';
import { pinnedConnector } from './pinned-connector.ts';
import { resolvePinned, systemResolver, type PinnedAddress, type Resolver } from './resolve-host.ts';
import { checkUrl, type CheckedUrl } from './url-policy.ts';

export interface FetchOptions {
  /** Cap on decoded body bytes (also on wire bytes and on a declared Content-Length). */
  maxBytes: number;
  allowHttp?: boolean;
  allowHosts?: HostAllowList;
  /** Default: the system resolver. Tests inject a stub. */
  resolver?: Resolver;
  /** Default 5. */
  maxRedirects?: number;
  maxUrlLength?: number;
  /** Default 5 s. */
  connectTimeoutMs?: number;
  /** Time from request sent to complete headers. Default 10 s. */
  headersTimeoutMs?: number;
  /** Longest silence between two body chunks. Default 10 s. */
  idleTimeoutMs?: number;
  /** Everything, DNS and every redirect included. Default 60 s. */
  totalTimeoutMs?: number;
  /** The caller's stop (shutdown, lost lease): rejects with reason 'aborted', not 'timeout'. */
  signal?: AbortSignal;
  /** Extra trust roots for https (a private CA; the tests' self-signed canaries). */
  ca?: ConnectionOptions['ca'];
  userAgent?: string;
}

export interface FetchedFile {
  path: string;
  /** Decoded bytes written to `path`. */
  sizeBytes: number;
  /** Bytes received on the wire for the final response body. */
  wireBytes: number;
  finalUrl: string;
  redirects: number;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

type HopOutcome = { redirect: string } | { sizeBytes: number; wireBytes: number };

/**
 * Fetches `rawUrl` into `destPath` (created exclusively; removed again on any failure).
 * Throws InputError only.
 */
export async function fetchToFile(rawUrl: string, destPath: string, options: FetchOptions): Promise<FetchedFile> {
  const deadline = AbortSignal.timeout(options.totalTimeoutMs ?? 60_000);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  const policy = { allowHttp: options.allowHttp, allowHosts: options.allowHosts, maxUrlLength: options.maxUrlLength };
  const maxRedirects = options.maxRedirects ?? 5;
  // The destination must be new: on failure it is removed, and only our own file may be.
  if (await lstat(destPath).then(() => true, () => false)) throw new Error(`fetchToFile: ${destPath} already exists`);
  try {
    let checked = checkUrl(rawUrl, policy);
    for (let hop = 0; ; hop++) {
      const pinned = await resolvePinned(checked, options.resolver ?? systemResolver, signal);
      const outcome = await fetchHop(checked, pinned, destPath, options, signal);
      if ('sizeBytes' in outcome) {
        return { path: destPath, sizeBytes: outcome.sizeBytes, wireBytes: outcome.wireBytes, finalUrl: checked.url.href, redirects: hop };
      }
      if (hop >= maxRedirects) throw new InputError('redirects', `the input URL redirected more than ${maxRedirects} times`);
      checked = checkUrl(outcome.redirect, policy, checked.url);
    }
  } catch (error) {
    await unlink(destPath).catch(() => undefined);
    throw toInputError(error, deadline, options.signal);
  }
}

async function fetchHop(checked: CheckedUrl, pinned: PinnedAddress, destPath: string, options: FetchOptions, signal: AbortSignal): Promise<HopOutcome> {
  const connect = await pinnedConnector({
    pinned,
    servername: isIP(checked.host) === 0 ? checked.host : undefined,
    allowListed: checked.allowListed,
    connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
    ca: options.ca,
  });
  const { Client } = await import('undici'); // loaded on first use (pinned-connector.ts says why)
  // A client per hop: its connector is bound to this hop's pinned address, and nothing
  // (no pooled socket, no cached TLS session) carries over to the next hop.
  const client = new Client(checked.url.origin, {
    connect,
    headersTimeout: options.headersTimeoutMs ?? 10_000,
    bodyTimeout: options.idleTimeoutMs ?? 10_000,
    pipelining: 1,
  });
  try {
    const response = await client.request({
      path: checked.url.pathname + checked.url.search,
      method: 'GET',
      signal,
      headers: {
        accept: 'image/*, video/*;q=0.9, */*;q=0.1',
        'accept-encoding': 'identity',
        'user-agent': options.userAgent ?? 'ModelGate-input-fetcher',
      },
    });
    const { statusCode, headers, body } = response;
    if (REDIRECT_STATUSES.has(statusCode)) {
      discard(body);
      const location = headers.location;
      if (typeof location !== 'string' || location === '') {
        throw new InputError('redirects', `the input URL answered a redirect (HTTP ${statusCode}) without a location`);
      }
      return { redirect: location };
    }
    if (statusCode !== 200) {
      discard(body);
      throw new InputError('http_status', `the input URL answered HTTP ${statusCode}`, { details: { status: statusCode } });
    }
    const declared = Number(headers['content-length']);
    if (Number.isFinite(declared) && declared > options.maxBytes) {
      discard(body);
      throw new InputError('too_large', `the input file is larger than ${formatBytes(options.maxBytes)}`, {
        details: { limit: options.maxBytes, declared, counted: 0 },
      });
    }
    let decoder: Transform | null;
    try {
      decoder = decoderFor(headers['content-encoding']);
    } catch (error) {
      discard(body);
      throw error;
    }
    const wire = new ByteLimit(options.maxBytes, 'wire');
    const decoded = new ByteLimit(options.maxBytes, 'decoded');
    const sink = createWriteStream(destPath, { flags: 'wx', mode: 0o600 });
    if (decoder) await pipeline(body, wire, decoder, decoded, sink, { signal });
    else await pipeline(body, wire, decoded, sink, { signal });
    return { sizeBytes: decoded.count, wireBytes: wire.count };
  } finally {
    await client.destroy().catch(() => undefined);
  }
}

/** Drops a body we will not read; undici reports the destroy as an error, which is expected. */
function discard(body: Readable): void {
  body.on('error', () => undefined);
  body.destroy();
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

/** Maps whatever a hop threw to an InputError whose message never quotes the upstream. */
function toInputError(error: unknown, deadline: AbortSignal, callerSignal: AbortSignal | undefined): InputError {
  if (error instanceof InputError) return error;
  if (callerSignal?.aborted) return new InputError('aborted', 'fetching the input was stopped', { cause: error });
  if (deadline.aborted) return new InputError('timeout', 'fetching the input took too long', { cause: error });
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && TIMEOUT_CODES.has(code)) {
    const phase = code === 'UND_ERR_CONNECT_TIMEOUT' ? 'connecting' : code === 'UND_ERR_HEADERS_TIMEOUT' ? 'waiting for the response' : 'reading the response';
    return new InputError('timeout', `the input URL timed out while ${phase}`, { cause: error, details: { code } });
  }
  if (error instanceof Error && error.cause instanceof InputError) return error.cause;
  return new InputError('connect', 'the input URL could not be fetched', {
    cause: error,
    details: { code: typeof code === 'string' ? code : 'unknown' },
  });
}
