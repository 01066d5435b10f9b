/**
 * Output downloads at /v1/blobs/<key>: from the local blob store's folder with @fastify/static,
 * or streamed from a store without one (blobs-streamed.ts). Local files get ranges, ETags and
 * content types from @fastify/static. No key is asked for: the URL carries a 128-bit random
 * token, like a CDN link. Whatever the static server refuses (`..` or `%2e%2e` segments, `//`,
 * dotfiles, a folder, a `.partial` file, anything outside outputs/) is answered as the unknown
 * file it is: 404001; a range past the end of a file is 416001 on both routes.
 */
import fastifyStatic from '@fastify/static';
import type { FastifyError, FastifyInstance } from 'fastify';
import { mkdirSync } from 'node:fs';
import type { BlobStore } from '../../blobs/blob-store.ts';
import { LOCAL_BLOB_ROUTE } from '../../blobs/local/local-blob-store.ts';
import { ApiError } from '../../errors.ts';
import { streamedBlobRoutes } from './blobs-streamed.ts';

/** The download route for this blob store: read from its local folder where it has one. */
export function blobRoutes(blobs: BlobStore) {
  const folder = blobs.capabilities.localFolder;
  return folder === undefined ? streamedBlobRoutes(blobs) : staticBlobRoutes(folder);
}

/** `folder`: the blob store's local folder (BlobStoreCapabilities.localFolder). */
function staticBlobRoutes(folder: string) {
  return async function register(app: FastifyInstance): Promise<void> {
    mkdirSync(folder, { recursive: true });
    // Scoped to this plugin: @fastify/static answers a forbidden path with a 403 error, which
    // the app-wide handler would otherwise treat as unexpected.
    app.setErrorHandler((error: FastifyError, request, reply) => {
      if (error.statusCode === undefined || error.statusCode >= 500) throw error;
      // A range past the end of a file that is there: the same answer as the streamed route's.
      if (error.statusCode === 416) {
        const contentRange = (error as { headers?: Record<string, string> }).headers?.['Content-Range'];
        const refused = new ApiError('range_not_satisfiable', 'The range starts past the end of the file.', contentRange ? { headers: { 'content-range': contentRange } } : {});
        void reply.code(refused.status).headers(refused.headers).send(refused.toEnvelope());
        return;
      }
      request.log.info({ err: { code: error.code, message: error.message } }, 'blob path refused');
      const notFound = new ApiError('not_found', 'No such output file.');
      void reply.code(notFound.status).send(notFound.toEnvelope());
    });
    await app.register(fastifyStatic, {
      root: folder,
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
