/**
 * The JSON body parser: prototype-poisoning keys are refused (secure-json-parse), and an empty
 * body is read as "no body" rather than an error, because clients often send
 * `Content-Type: application/json` on a body-less POST (cancel).
 */
import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';

export function installJsonParser(app: FastifyInstance): void {
  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser(/^application\/([\w.+-]+\+)?json$/i, { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
    } catch (error) {
      const parseError = error as Error & { statusCode?: number };
      parseError.statusCode = 400;
      done(parseError, undefined);
    }
  });
}
