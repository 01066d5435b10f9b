/**
 * The API's error catalogue: every code a client can see, its HTTP status and its meaning.
 * Numbering follows RunComfy's (six digits, HTTP status first). docs/api.md lists the same
 * table and test/errors-doc.test.ts checks that the two agree.
 */
export const ERROR_CATALOG = {
  unknown_model: { code: 400001, status: 400, meaning: 'The model id is not in the catalog.' },
  unauthorized: { code: 401001, status: 401, meaning: 'The API key is missing, malformed, unknown or revoked.' },
  not_found: { code: 404001, status: 404, meaning: 'No such request id for this API key (or no such route).' },
  body_too_large: { code: 413001, status: 413, meaning: 'The request body is larger than the configured limit.' },
  unsupported_encoding: { code: 415001, status: 415, meaning: 'The body\'s Content-Encoding is not one this route decodes.' },
  range_not_satisfiable: { code: 416001, status: 416, meaning: 'A download\'s Range starts past the end of the file; `Content-Range: bytes */<size>` gives its size.' },
  invalid_input: { code: 422001, status: 422, meaning: 'The input failed validation: schema, file rule or malformed body.' },
  rate_limited: { code: 429001, status: 429, meaning: 'Too many requests for this API key; retry after `Retry-After` seconds.' },
  internal: { code: 500001, status: 500, meaning: 'An unexpected server error; the request was not accepted.' },
  shutting_down: { code: 503001, status: 503, meaning: 'The server is shutting down and takes no new requests; retry after `Retry-After` seconds.' },
  storage_unavailable: { code: 503002, status: 503, meaning: 'The server\'s storage is failing (a full disk, the database unreachable); the request was not carried out; retry after `Retry-After` seconds.' },
} as const;

export type ErrorKind = keyof typeof ERROR_CATALOG;

/** One entry of a validation error's `detail`, in the shape FastAPI-style clients expect. */
export interface ErrorDetail {
  loc: Array<string | number>;
  msg: string;
  type: string;
}

export interface ErrorEnvelope {
  error_code: number;
  error_message: string;
  detail?: ErrorDetail[];
}

/** An error that carries its place in the catalogue; the API error handler renders it as-is. */
export class ApiError extends Error {
  readonly kind: ErrorKind;
  readonly detail: ErrorDetail[] | undefined;
  readonly headers: Record<string, string>;

  constructor(kind: ErrorKind, message: string, options: { detail?: ErrorDetail[]; headers?: Record<string, string> } = {}) {
    super(message);
    this.name = 'ApiError';
    this.kind = kind;
    this.detail = options.detail;
    this.headers = options.headers ?? {};
  }

  get status(): number {
    return ERROR_CATALOG[this.kind].status;
  }

  toEnvelope(): ErrorEnvelope {
    const envelope: ErrorEnvelope = { error_code: ERROR_CATALOG[this.kind].code, error_message: this.message };
    if (this.detail) envelope.detail = this.detail;
    return envelope;
  }
}

/** Turns anything thrown into an Error, so catch blocks never handle `unknown` twice. */
export function coerceError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === 'string' ? thrown : JSON.stringify(thrown));
}
