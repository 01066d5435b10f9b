/** The bearer-key check for every /v1 route except blob downloads (whose URLs are capabilities). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authenticate } from '../auth/api-keys.ts';
import type { ApiKeyRecord, Store } from '../store/store.ts';

declare module 'fastify' {
  interface FastifyRequest {
    apiKey: ApiKeyRecord | null;
  }
}

export function installAuth(app: FastifyInstance, store: Store): void {
  app.decorateRequest('apiKey', null);
  // The request's logger gains the key's prefix. It is made from the server's logger with the
  // request id binding repeated (Fastify's default label, `reqId`), which gives the same lines as
  // request.log.child({key}) without a grandchild: a child of the per-request logger turns that
  // short-lived object into a prototype, which cost V8 ~25 µs per request (a quarter of a poll).
  const serverLog = app.log;
  app.addHook('onRequest', async (request) => {
    request.apiKey = await authenticate(store, request.headers.authorization);
    request.log = serverLog.child({ reqId: request.id, key: request.apiKey.prefix });
  });
}

/** The key id that owns whatever this request creates or reads. */
export function ownerOf(request: FastifyRequest): string {
  if (!request.apiKey) throw new Error('route is missing the auth hook');
  return request.apiKey.id;
}
