/**
 * Output downloads from a blob store without a local folder (object storage), streamed through
 * the API so output URLs stay ModelGate's own and clients that refuse redirects keep working.
 * Answers as the local route (@fastify/static) does: one byte range (206 with Content-Range), the
 * whole file for a Range it may ignore, 416001 for one past the end, 304 for a matching
 * If-None-Match, HEAD without a body, the object's ETag and Content-Type, nosniff. Anything that
 * is not an output key we could have made (`..`, `//`, outside outputs/, a `.partial` name) is
 * the unknown file it is: 404001, before the bucket is asked.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BlobNotFoundError, isSafeKey, type BlobStore } from '../../blobs/blob-store.ts';
import { LOCAL_BLOB_ROUTE } from '../../blobs/local/local-blob-store.ts';
import { ApiError } from '../../errors.ts';
import { readRange } from '../byte-ranges.ts';

const isOutputKey = (key: string) => key.startsWith('outputs/') && isSafeKey(key) && !key.endsWith('.partial');
const notFound = () => new ApiError('not_found', 'No such output file.');

export function streamedBlobRoutes(blobs: BlobStore) {
  return async function register(app: FastifyInstance): Promise<void> {
    app.get<{ Params: { '*': string } }>(`${LOCAL_BLOB_ROUTE}*`, async (request: FastifyRequest<{ Params: { '*': string } }>, reply: FastifyReply) => {
      const key = request.params['*'];
      if (!isOutputKey(key)) throw notFound();
      const info = await blobs.head(key);
      if (!info) throw notFound();
      void reply
        .header('etag', info.etag)
        .header('last-modified', info.lastModified.toUTCString())
        .header('accept-ranges', 'bytes')
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'private, max-age=86400, immutable');
      if (request.headers['if-none-match'] === info.etag) return reply.code(304).send();
      const ifRange = request.headers['if-range'];
      const answer = readRange(request.headers.range, info.size, typeof ifRange === 'string' ? ifRange : undefined, info.etag);
      if (answer.kind === 'unsatisfiable') {
        throw new ApiError('range_not_satisfiable', `The range starts past the end of the file (${info.size} bytes).`, { headers: { 'content-range': `bytes */${info.size}` } });
      }
      void reply.type(info.contentType);
      const range = answer.kind === 'partial' ? answer.range : undefined;
      if (range) void reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${info.size}`);
      void reply.header('content-length', range ? range.end - range.start + 1 : info.size);
      if (request.method === 'HEAD') return reply.send();
      try {
        return reply.send(await blobs.read(key, range));
      } catch (error) {
        // Deleted between the HEAD and the GET (an expired upload, a reaped orphan).
        if (error instanceof BlobNotFoundError) throw notFound();
        throw error;
      }
    });
  };
}
