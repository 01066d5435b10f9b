/**
 * Bodies that are not JSON. HTTP clients differ on what a POST without a body carries: aiohttp
 * sends `Content-Type: application/octet-stream` with `Content-Length: 0`, form helpers an empty
 * `application/x-www-form-urlencoded` body, others `text/plain` or a zero-length chunk. So:
 * - an empty body is "no body" on every route, whatever its Content-Type;
 * - a route that takes no body (cancel) says so with `config: { ignoresBody: true }` and then
 *   ignores any body, of any type and any content (read and dropped under the body limit),
 *   as a FastAPI-style server does with a body its endpoint does not declare;
 * - on any other route a non-empty body of a type nothing here parses is 422001, unread.
 * JSON has its own parser (json-body.ts), multipart is parsed only under POST /v1/files.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route reads no body: whatever is sent is dropped unparsed. */
    ignoresBody?: boolean;
  }
}

export function ignoresBody(request: FastifyRequest): boolean {
  return request.routeOptions.config.ignoresBody === true;
}

function notReadHere(request: FastifyRequest): ApiError {
  const msg = `a body of Content-Type ${JSON.stringify(request.headers['content-type'] ?? '')} is not read here (JSON bodies are application/json)`;
  return new ApiError('invalid_input', `The request body could not be read: ${msg}.`, { detail: [{ loc: ['body'], msg, type: 'json_invalid' }] });
}

export function installNonJsonBodies(app: FastifyInstance): void {
  // Fastify would hand a route a text/plain body as a string; text is judged like any other type.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('*', (request, payload, done) => {
    const limit = request.routeOptions.bodyLimit;
    const dropping = ignoresBody(request);
    let received = 0;
    let settled = false;
    const settle = (error: Error | null) => {
      if (settled) return;
      settled = true;
      done(error, undefined);
    };
    // The stream keeps flowing after a refusal; Fastify closes the connection once it answers.
    payload.on('data', (chunk: Buffer | string) => {
      received += chunk.length;
      if (received === 0) return;
      if (!dropping) settle(notReadHere(request));
      else if (received > limit) settle(new ApiError('body_too_large', 'The request body is larger than this server accepts.'));
    });
    payload.on('end', () => settle(null));
    payload.on('error', (error: Error & { statusCode?: number }) => {
      // A body cut short is the client's doing (the error handler reads 400 as 422001).
      if (!(error instanceof ApiError)) error.statusCode ??= 400;
      settle(error);
    });
  });
}
