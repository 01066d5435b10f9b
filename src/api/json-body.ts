/**
 * The JSON body parser: the text is pre-scanned for shapes that would make parsing, validation or
 * the error answer slow (json-scan.ts), then parsed with prototype-poisoning keys refused
 * (secure-json-parse). An empty body is read as "no body" rather than an error, because clients
 * often send `Content-Type: application/json` on a body-less POST (cancel).
 */
import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';
import { ApiError } from '../errors.ts';
import { type JsonCeiling, scanJson } from './json-scan.ts';

/** What each ceiling says to the client: the error message's words and the detail's type. */
const CEILING_WORDS: Record<JsonCeiling, { msg: (limit: string) => string; type: string }> = {
  maxDepth: { msg: (limit) => `nesting deeper than ${limit} levels`, type: 'too_deep' },
  maxKeysPerObject: { msg: (limit) => `an object with more than ${limit} keys`, type: 'too_many_keys' },
  maxMembers: { msg: (limit) => `more than ${limit} object members and array elements in all`, type: 'too_many_members' },
  maxEscapedQuotes: { msg: (limit) => `more than ${limit} escaped quotes (\\") in its strings`, type: 'too_many_escapes' },
};

export function ceilingError(ceiling: JsonCeiling, limit: number): ApiError {
  const { msg, type } = CEILING_WORDS[ceiling];
  const words = msg(limit.toLocaleString('en-US'));
  return new ApiError('invalid_input', `The request body has ${words}; docs/api.md lists the limits.`, {
    detail: [{ loc: ['body'], msg: words, type }],
  });
}

export function installJsonParser(app: FastifyInstance): void {
  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser(/^application\/([\w.+-]+\+)?json$/i, { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    const verdict = scanJson(text);
    if (!verdict.ok) return done(ceilingError(verdict.ceiling, verdict.limit), undefined);
    try {
      done(null, secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
    } catch (error) {
      const parseError = error as Error & { statusCode?: number };
      parseError.statusCode = 400;
      done(parseError, undefined);
    }
  });
}
