/**
 * Every error leaves the server in the one envelope of SPEC §2. Framework errors (body too large,
 * malformed JSON, wrong content type, a body that ends early) are mapped onto the catalogue; a
 * client's mistake is never a 500 and never a stack trace at error level. Anything unexpected is
 * logged with its stack and answered as 500001 without internals.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.ts';
import { isStoreUnreachable } from '../store/storage-fault.ts';
import { ThrottledLog } from '../throttled-log.ts';

/** What a client is told to wait when the store fails: long enough for a restart, short enough to notice it is back. */
const STORAGE_RETRY_AFTER_S = 5;

function toApiError(error: FastifyError): ApiError {
  if (error instanceof ApiError) return error;
  if (isStoreUnreachable(error)) {
    return new ApiError('storage_unavailable', `The server's storage is failing (a full disk or the database unreachable), so the request was not carried out; retry in ${STORAGE_RETRY_AFTER_S} s.`, {
      headers: { 'retry-after': String(STORAGE_RETRY_AFTER_S) },
    });
  }
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || error.statusCode === 413) {
    return new ApiError('body_too_large', 'The request body is larger than this server accepts.');
  }
  if (error.validation) {
    const detail = error.validation.map((v) => ({
      loc: [error.validationContext ?? 'request', ...v.instancePath.split('/').filter(Boolean)],
      msg: v.message ?? 'is invalid',
      type: v.keyword,
    }));
    return new ApiError('invalid_input', 'The request is invalid.', { detail });
  }
  if (error.code?.startsWith('FST_ERR_CTP_') || error instanceof SyntaxError || error.statusCode === 400 || error.statusCode === 415) {
    const msg = error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'Content-Type must be application/json' : error.message;
    return new ApiError('invalid_input', `The request body could not be read: ${msg}`, { detail: [{ loc: ['body'], msg, type: 'json_invalid' }] });
  }
  // Any other 4xx a framework part raises (a body cut short, a plugin refusing a request) is
  // still the client's: the catalogue's "malformed request", never an internal error.
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return new ApiError('invalid_input', `The request could not be read: ${error.message}`, { detail: [{ loc: ['request'], msg: error.message, type: 'request_invalid' }] });
  }
  return new ApiError('internal', 'Internal server error. The request was not accepted; it is safe to retry.');
}

/** Sends an ApiError; `x-request-id` is set here too, for replies made before any hook runs. */
export function sendApiError(request: FastifyRequest, reply: FastifyReply, apiError: ApiError): void {
  void reply.code(apiError.status).headers(apiError.headers).header('x-request-id', request.id).send(apiError.toEnvelope());
}

export function notFoundRoute(request: FastifyRequest): ApiError {
  return new ApiError('not_found', `No route ${request.method} ${request.url.split('?')[0]}.`);
}

export function installErrorHandlers(app: FastifyInstance): void {
  // A full disk fails every submit: one line per 30 s says so, with the count, not one per request.
  const storageFaults = new ThrottledLog(app.log);
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const apiError = toApiError(error);
    if (apiError.kind === 'internal') request.log.error({ err: error }, 'unhandled error');
    else if (apiError.kind === 'storage_unavailable') storageFaults.write('error', 'storage', { err: error, reqId: request.id }, 'storage failed; requests answered 503002');
    else if (!(error instanceof ApiError)) request.log.info({ err: { code: error.code, message: error.message } }, 'malformed request');
    sendApiError(request, reply, apiError);
  });
  app.setNotFoundHandler((request, reply) => sendApiError(request, reply, notFoundRoute(request)));
}
