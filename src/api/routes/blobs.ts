/**
 * Output downloads from the local blob store, with ranges, ETags and content types from
 * @fastify/static. No key is asked for: the URL carries a 128-bit random token, like a CDN link.
 */
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { mkdirSync } from 'node:fs';
import { LOCAL_BLOB_ROUTE, type LocalBlobStore } from '../../blobs/local/local-blob-store.ts';

export function blobRoutes(blobs: LocalBlobStore) {
  return async function register(app: FastifyInstance): Promise<void> {
    mkdirSync(blobs.root, { recursive: true });
    await app.register(fastifyStatic, {
      root: blobs.root,
      prefix: LOCAL_BLOB_ROUTE,
      index: false,
      list: false,
      dotfiles: 'deny',
      // Only outputs: uploads are read through /v1/files/<id>, which checks the owner.
      allowedPath: (path) => /^\/?outputs\//.test(path) && !path.endsWith('.partial'),
      setHeaders: (res) => {
        res.header('X-Content-Type-Options', 'nosniff');
        res.header('Cache-Control', 'private, max-age=86400, immutable');
      },
    });
  };
}
