/**
 * Answers for bytes that never became a request: Node's HTTP parser refused them (a broken
 * request line or header, headers over the size cap, a body longer than its Content-Length
 * read as the next request). Fastify's default writes its own `{"error", "message"}` body; this
 * writes the error envelope with an `x-request-id` like every other answer, then closes.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { ApiError } from '../errors.ts';

function answerFor(error: NodeJS.ErrnoException): ApiError {
  if (error.code === 'HPE_HEADER_OVERFLOW') return new ApiError('body_too_large', 'The request line and headers are larger than this server accepts.');
  return new ApiError('invalid_input', 'The request is not valid HTTP/1.1.', { detail: [{ loc: ['request'], msg: error.code ?? 'unparseable', type: 'http_invalid' }] });
}

export function clientErrorHandler(log: FastifyBaseLogger) {
  return (error: NodeJS.ErrnoException, socket: Socket): void => {
    // A reset or an already closed socket has nobody left to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const id = randomUUID();
    log.debug({ err: error, reqId: id }, 'unparseable request');
    // A request that timed out is not the client's mistake to explain: the connection just ends.
    if (socket.writable && error.code !== 'ERR_HTTP_REQUEST_TIMEOUT') {
      const apiError = answerFor(error);
      const body = JSON.stringify(apiError.toEnvelope());
      socket.write(
        `HTTP/1.1 ${apiError.status} ${STATUS_CODES[apiError.status]}\r\n` +
          `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${id}\r\nconnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(error);
  };
}
