/**
 * The shutdown grace as clients see it. Once `draining` is aborted, every new request, /healthz
 * included (so a load balancer takes the node out), is answered 503 `shutting_down` with
 * `Retry-After` and `Connection: close`, while requests already past this check finish. The
 * socket itself stays open until the workers have stopped, so a client gets an answer it can
 * act on instead of a refused connection.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.ts';
import { sendApiError } from './error-handler.ts';

/**
 * The check app.ts runs first of all, in its one onRequest hook (before auth, body parsing or
 * any route work): answers 503 and returns true once draining has begun, else returns false.
 */
export function drainingGate(draining: AbortSignal, retryAfterSeconds: number): (request: FastifyRequest, reply: FastifyReply) => boolean {
  const headers = { 'retry-after': String(retryAfterSeconds), connection: 'close' };
  return (request, reply) => {
    if (!draining.aborted) return false;
    const error = new ApiError('shutting_down', `This server is shutting down; retry in ${retryAfterSeconds} s.`, { headers });
    sendApiError(request, reply, error);
    return true;
  };
}
