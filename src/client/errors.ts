/** What the client throws: the server's error envelope (ApiError), or no answer at all. */
import type { ErrorDetail, ErrorEnvelope } from './wire.ts';

/** A request the server answered with an error: the envelope's fields, the HTTP status, and Retry-After. */
export class ApiError extends Error {
  /** The catalogue code, e.g. 422001; undefined when the body was not an error envelope (a proxy's page). */
  readonly error_code: number | undefined;
  readonly error_message: string;
  /** Validation only: which field and why. */
  readonly detail: ErrorDetail[];
  /** Retry-After in milliseconds, when the answer carried one (429, 503). */
  readonly retryAfterMs: number | undefined;

  constructor(
    readonly httpStatus: number,
    readonly body: ErrorEnvelope | undefined,
    options: { retryAfterMs?: number | undefined; statusText?: string } = {},
  ) {
    super(body?.error_message ?? `HTTP ${httpStatus}${options.statusText ? ` ${options.statusText}` : ''}`);
    this.name = 'ApiError';
    this.error_code = body?.error_code;
    this.error_message = this.message;
    this.detail = body?.detail ?? [];
    this.retryAfterMs = options.retryAfterMs;
  }

  /** The catalogue code (the name earlier versions of this client used). */
  get code(): number | undefined {
    return this.error_code;
  }
}

/** The name this class had before it was ApiError; the CLI and older callers use it. */
export const ModelGateApiError = ApiError;
export type ModelGateApiError = ApiError;

/** OpenSSL's codes for a certificate chain that ends in no CA this process trusts. */
const UNTRUSTED_CERTIFICATE = /SELF_SIGNED|UNABLE_TO_GET_ISSUER_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE/;

/** The server could not be reached at all (refused, unresolvable, reset, or its certificate not trusted). */
export class ModelGateConnectionError extends Error {
  constructor(url: string, cause: unknown) {
    // fetch wraps the network error: TypeError('fetch failed') whose cause says what happened.
    const inner = (cause as { cause?: { code?: string; message?: string } })?.cause;
    const code = inner?.code ?? inner?.message ?? (cause as Error)?.message ?? String(cause);
    // Verification is never switched off for the caller; say how to trust a private CA instead.
    const hint =
      code === 'ERR_TLS_CERT_ALTNAME_INVALID'
        ? 'the server\'s TLS certificate does not name that host; use a host name on the certificate in --url / MODELGATE_URL'
        : UNTRUSTED_CERTIFICATE.test(code)
          ? 'the server\'s TLS certificate is not signed by a CA trusted here; for a private CA or a self-signed certificate, set NODE_EXTRA_CA_CERTS=/path/to/ca.pem'
          : 'is the server running, and is --url / MODELGATE_URL right?';
    super(`cannot reach ${url} (${code}); ${hint}`, { cause });
    this.name = 'ModelGateConnectionError';
  }
}
