/**
 * The JSON body parser: the text is pre-scanned for shapes that would make parsing, validation or
 * the error answer slow (json-scan.ts), then parsed with prototype-poisoning keys refused. An
 * empty body is read as "no body" rather than an error, because clients often send
 * `Content-Type: application/json` on a body-less POST (cancel). A route that takes no body
 * (bodiless-routes.ts) gets none, whatever JSON, or broken JSON, was sent to it.
 */
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.ts';
import { ignoresBody } from './bodiless-routes.ts';
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

/**
 * Refuses what secure-json-parse refused (`__proto__` keys; `constructor` keys holding a
 * `prototype`), judged on the parsed keys, so escapes like `\u005f_proto__` are caught too. Its
 * own check ran regular expressions over the whole text first: 50 ms for a 13 MiB string, where
 * this costs a call per member (at most MAX_JSON_MEMBERS).
 */
function refusePoisonKeys(key: string, value: unknown): unknown {
  if (key === '__proto__') throw new SyntaxError('Object contains forbidden prototype property');
  if (key === 'constructor' && typeof value === 'object' && value !== null && Object.hasOwn(value, 'prototype')) {
    throw new SyntaxError('Object contains forbidden prototype property');
  }
  return value;
}

export function installJsonParser(app: FastifyInstance): void {
  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser(/^application\/([\w.+-]+\+)?json$/i, { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '' || ignoresBody(request)) return done(null, undefined);
    const verdict = scanJson(text);
    if (!verdict.ok) return done(ceilingError(verdict.ceiling, verdict.limit), undefined);
    try {
      done(null, JSON.parse(text, refusePoisonKeys));
    } catch (error) {
      const parseError = error as Error & { statusCode?: number };
      parseError.statusCode = 400;
      done(parseError, undefined);
    }
  });
}
