/**
 * Reads a multipart body that must hold exactly one file part, for POST /v1/files. The file is
 * handed to `save` as a stream that ends only once the whole body has been read and found good,
 * so a second file, a truncated body or a broken boundary fails the save before anything is
 * stored. Everything the multipart parser refuses is the client's mistake: 422001 (or 413001
 * past a limit), never a 500.
 */
import type { MultipartFile } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { finished, PassThrough, type Readable } from 'node:stream';
import { ApiError, coerceError } from '../errors.ts';

type Save<T> = (file: Readable, fieldname: string, truncated: () => boolean) => Promise<T>;

function onlyOneFile(): ApiError {
  return new ApiError('invalid_input', 'Send exactly one file part; this upload has more.', { detail: [{ loc: ['body'], msg: 'more than one file part', type: 'too_many_files' }] });
}

/** What the parser (busboy, @fastify/multipart) threw, in the catalogue's words. */
function parserError(thrown: unknown): ApiError {
  if (thrown instanceof ApiError) return thrown;
  const error = coerceError(thrown) as Error & { code?: string; statusCode?: number };
  if (error.code === 'FST_FILES_LIMIT') return onlyOneFile();
  if (error.statusCode === 413) return new ApiError('body_too_large', `The upload is too large: ${error.message}.`);
  return new ApiError('invalid_input', `The multipart body could not be read: ${error.message}.`, { detail: [{ loc: ['body'], msg: error.message, type: 'multipart_invalid' }] });
}

export async function receiveOneFile<T>(request: FastifyRequest, save: Save<T>): Promise<T> {
  const parts = request.parts()[Symbol.asyncIterator]();
  let part: MultipartFile | undefined;
  try {
    for (let next = await parts.next(); !next.done; next = await parts.next()) {
      if (next.value.type === 'file') {
        part = next.value;
        break;
      }
    }
  } catch (error) {
    throw parserError(error);
  }
  if (!part) throw new ApiError('invalid_input', 'The upload has no file part.', { detail: [{ loc: ['body', 'file'], msg: 'field required', type: 'missing' }] });

  const file = part.file;
  const body = new PassThrough();
  // A failure reaches `save` through its pipeline even when it starts reading only later (an
  // errored stream rejects the pipeline at once); until then the error needs a listener.
  body.on('error', () => {});
  const fail = (error: unknown) => {
    body.destroy(parserError(error));
    file.resume(); // keep the parser draining the request so the answer can be sent
  };
  file.pipe(body, { end: false });
  // finished(), not 'end'/'error' listeners: the parser may already have destroyed this part
  // (a body that stops inside it) before we get to listen.
  finished(file, (error) => {
    if (error) return fail(error);
    // The rest of the body is read once the file is: only fields may follow it.
    void (async () => {
      for (let next = await parts.next(); !next.done; next = await parts.next()) {
        if (next.value.type === 'file') throw onlyOneFile();
      }
    })().then(() => body.end(), fail);
  });
  return save(body, part.fieldname, () => file.truncated);
}
