/**
 * Every error leaves the server in the one envelope of SPEC §2. Framework errors (body too large,
 * malformed JSON, wrong content type) are mapped onto the catalogue; anything unexpected is
 * logged with its stack and answered as 500001 without internals.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { ApiError, ERROR_CATALOG } from '../errors.ts';

function toApiError(error: FastifyError): ApiError {
  if (error instanceof ApiError) return error;
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
  return new ApiError('internal', 'Internal server error. The request was not accepted; it is safe to retry.');
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const apiError = toApiError(error);
    if (apiError.kind === 'internal') request.log.error({ err: error }, 'unhandled error');
    void reply.code(apiError.status).headers(apiError.headers).send(apiError.toEnvelope());
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(ERROR_CATALOG.not_found.status).send(new ApiError('not_found', `No route ${request.method} ${request.url.split('?')[0]}.`).toEnvelope());
  });
}
