/**
 * The shutdown grace as clients see it. Once `draining` is aborted, every new request, /healthz
 * included (so a load balancer takes the node out), is answered 503 `shutting_down` with
 * `Retry-After` and `Connection: close`, while requests already past this hook finish. The
 * socket itself stays open until the workers have stopped, so a client gets an answer it can
 * act on instead of a refused connection.
 */
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.ts';
import { sendApiError } from './error-handler.ts';

export function installDraining(app: FastifyInstance, draining: AbortSignal, retryAfterSeconds: number): void {
  const headers = { 'retry-after': String(retryAfterSeconds), connection: 'close' };
  // Callback style and first of all hooks: before auth, body parsing or any route work.
  app.addHook('onRequest', (request, reply, done) => {
    if (!draining.aborted) return done();
    const error = new ApiError('shutting_down', `This server is shutting down; retry in ${retryAfterSeconds} s.`, { headers });
    sendApiError(request, reply, error);
  });
}
