/**
 * Compressed request bodies. A JSON body sent with `Content-Encoding: gzip`, `deflate` or `br`
 * is decoded before it is parsed, and the route's body limit applies to the decoded bytes,
 * counted while inflating: a small body that inflates past the limit (a zip bomb) stops there
 * with 413001. Any other coding, a stack of codings, or a coded multipart upload (the multipart
 * reader takes the raw socket, so it could never see decoded bytes) is refused with 415001.
 */
import { PassThrough, pipeline, Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { FastifyInstance, FastifyRequest, preParsingHookHandler } from 'fastify';
import { ApiError } from '../errors.ts';

// A Map, not an object: a coding named `constructor` must not find Object's.
const DECODERS = new Map<string, () => Transform>([
  ['gzip', createGunzip],
  ['x-gzip', createGunzip],
  ['deflate', createInflate],
  ['br', createBrotliDecompress],
]);

/** The stream Fastify reads the body from; it checks Content-Length against the encoded count. */
type DecodedBody = PassThrough & { receivedEncodedLength: number };

function hasBody(request: FastifyRequest): boolean {
  return request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
}

function refuse(coding: string): ApiError {
  return new ApiError('unsupported_encoding', `Content-Encoding "${coding}" is not accepted here: send the body as identity, or (JSON bodies only) gzip, deflate or br.`);
}

function decode(source: NodeJS.ReadableStream, inflater: Transform, limit: number): DecodedBody {
  const output = new PassThrough() as DecodedBody;
  output.receivedEncodedLength = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      output.receivedEncodedLength += chunk.length;
      done(null, chunk);
    },
  });
  let inflated = 0;
  const cap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      inflated += chunk.length;
      if (inflated > limit) done(new ApiError('body_too_large', `The request body inflates to more than ${limit} bytes.`));
      else done(null, chunk);
    },
  });
  // The request itself is piped, not put in the pipeline: a failure must stop the inflating
  // without destroying the socket, so the client still gets its 413 or 422.
  source.pipe(counter);
  pipeline(counter, inflater, cap, (error) => {
    if (!error) return;
    source.unpipe(counter);
    output.destroy(
      error instanceof ApiError
        ? error
        : new ApiError('invalid_input', `The request body could not be decoded: ${error.message}.`, { detail: [{ loc: ['body'], msg: error.message, type: 'encoding_invalid' }] }),
    );
  });
  cap.pipe(output);
  return output;
}

/** Methods whose requests Fastify reads a body for; GET and HEAD answers never decode one. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

const decodeBody: preParsingHookHandler = (request, _reply, payload, done) => {
  const header = request.headers['content-encoding'];
  const coding = header?.trim().toLowerCase();
  if (coding === undefined || coding === '' || coding === 'identity' || !hasBody(request)) return done(null, payload);
  const decoder = DECODERS.get(coding);
  if (!decoder || /^multipart\//i.test(request.headers['content-type'] ?? '')) return done(refuse(header!), undefined);
  done(null, decode(payload, decoder(), request.routeOptions.bodyLimit));
};

/**
 * Added to each route that can take a body as it is registered (call before any route), not as
 * an app-wide hook: a preParsing hook at the root runs for every request, the status polls
 * included, which have no body to decode.
 */
export function installContentDecoding(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat();
    if (!methods.some((method) => BODY_METHODS.has(method))) return;
    route.preParsing = [...[route.preParsing ?? []].flat(), decodeBody];
  });
}
