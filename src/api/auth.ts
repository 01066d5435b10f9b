/** The bearer-key check for every /v1 route except blob downloads (whose URLs are capabilities). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authenticate } from '../auth/api-keys.ts';
import { LazyRequestLogger } from '../logger.ts';
import type { ApiKeyRecord, Store } from '../store/store.ts';

declare module 'fastify' {
  interface FastifyRequest {
    apiKey: ApiKeyRecord | null;
  }
}

export function installAuth(app: FastifyInstance, store: Store): void {
  app.decorateRequest('apiKey', null);
  app.addHook('onRequest', async (request) => {
    request.apiKey = await authenticate(store, request.headers.authorization);
    // Lines this request writes from now on name the key's prefix. Every request logger is a
    // LazyRequestLogger (app.ts's childLoggerFactory): nothing is built for a request that writes
    // no line, which is nearly every one.
    (request.log as unknown as LazyRequestLogger).bind('key', request.apiKey.prefix);
  });
}

/** The key id that owns whatever this request creates or reads. */
export function ownerOf(request: FastifyRequest): string {
  if (!request.apiKey) throw new Error('route is missing the auth hook');
  return request.apiKey.id;
}
