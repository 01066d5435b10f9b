/**
 * Uploads: `POST /v1/files` (multipart, one file part) answers `{file_id, url, content_type,
 * size, sha256, expires_at}`; the `url` is accepted as a file input by the same key. `GET` on
 * that URL returns the file to its owner; to anyone else it is a 404001 like any unknown id.
 */
import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import type { Readable } from 'node:stream';
import { BlobNotFoundError } from '../../blobs/blob-store.ts';
import type { Context } from '../../context.ts';
import { ApiError } from '../../errors.ts';
import { InputError } from '../../inputs/errors.ts';
import { ownerOf } from '../auth.ts';
import { receiveOneFile } from '../multipart-upload.ts';
import { errorResponses } from '../schemas.ts';

export const uploadResponseSchema = {
  type: 'object',
  required: ['file_id', 'url', 'content_type', 'size', 'sha256', 'expires_at'],
  properties: {
    file_id: { type: 'string' },
    url: { type: 'string', format: 'uri', description: 'Use as the value of a file input (same API key).' },
    content_type: { type: 'string', description: 'Decided from the file\'s bytes, not from the upload\'s headers.' },
    size: { type: 'integer' },
    sha256: { type: 'string' },
    expires_at: { type: 'string', format: 'date-time' },
  },
} as const;

export function fileRoutes(ctx: Context) {
  const { uploads } = ctx;
  return async function register(app: FastifyInstance): Promise<void> {
    await app.register(multipart, { limits: { fileSize: uploads.maxBytes, files: 1, fields: 10, parts: 11, headerPairs: 100 } });

    app.post('/v1/files', { schema: { response: { 200: uploadResponseSchema, ...errorResponses([401, 413, 422, 429]) } } }, async (request) => {
      if (!request.isMultipart()) {
        throw new ApiError('invalid_input', 'Send the file as multipart/form-data with one file part.', { detail: [{ loc: ['body', 'file'], msg: 'expected multipart/form-data', type: 'missing' }] });
      }
      const owner = ownerOf(request);
      const record = await receiveOneFile(request, async (file, fieldname, truncated) => {
        try {
          return await uploads.saveStream(owner, file, truncated);
        } catch (error) {
          if (!(error instanceof InputError)) throw error;
          if (error.reason === 'too_large') throw new ApiError('body_too_large', `The file is too large: ${error.message}.`);
          throw new ApiError('invalid_input', `The upload was refused: ${error.message}.`, { detail: [{ loc: ['body', fieldname], msg: error.message, type: `file_${error.reason}` }] });
        }
      });
      return {
        file_id: record.id,
        url: uploads.urlFor(record.id),
        content_type: record.contentType,
        size: record.sizeBytes,
        sha256: record.sha256,
        expires_at: new Date(record.expiresAt).toISOString(),
      };
    });

    app.get<{ Params: { file_id: string } }>('/v1/files/:file_id', { schema: { response: errorResponses([401, 404]) } }, async (request, reply) => {
      const record = await uploads.find(ownerOf(request), request.params.file_id);
      const missing = () => new ApiError('not_found', `File ${request.params.file_id} was not found.`);
      if (!record) throw missing();
      let body: Readable;
      try {
        // Streamed from the blob store, wherever it is (the data folder or a bucket).
        body = await ctx.blobs.read(record.blobKey);
      } catch (error) {
        // Expired and removed by the janitor since its row was read.
        if (error instanceof BlobNotFoundError) throw missing();
        throw error;
      }
      return reply
        .type(record.contentType)
        .header('content-length', record.sizeBytes)
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'private, no-store')
        .send(body);
    });
  };
}
