/**
 * The web console at `/`: the page built from web/ by scripts/build-console.mjs into web/dist.
 * index.html is revalidated on every load (`no-cache`) so a new build is seen at once; the files
 * under /assets/ carry a content hash in their names and are cached for a year. No key is asked
 * for: the page holds no data, it calls the API with the key the user types in.
 * Every answer here carries a CSP that lets the page load and call only this origin (plus the
 * bucket's public base, where outputs are served from when one is set).
 * When web/dist is missing, `/` says how to build it instead of failing.
 */
import fastifyStatic from '@fastify/static';
import type { FastifyError, FastifyInstance } from 'fastify';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../config.ts';
import { ApiError } from '../../errors.ts';

export const CONSOLE_DIST_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'web', 'dist');

const YEAR_SECONDS = 365 * 24 * 3600;

/** The console's Content-Security-Policy; `mediaOrigins`: where else outputs may be shown from. */
export function consolePolicy(mediaOrigins: readonly string[]): string {
  const media = ["'self'", 'blob:', ...mediaOrigins].join(' ');
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src ${media} data:`,
    `media-src ${media}`,
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');
}

/**
 * Output URLs are absolute: under MODELGATE_PUBLIC_URL (the server's own origin, though the page
 * may have been opened as localhost while it says 127.0.0.1), or the bucket's public base when set.
 */
function mediaOriginsOf(config: ConsoleConfig): string[] {
  const origins = [new URL(config.publicUrl).origin];
  const base = config.s3?.publicBaseUrl;
  if (base) origins.push(new URL(base).origin);
  return [...new Set(origins)];
}

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ModelGate console not built</title></head>
<body><h1>The console is not built</h1>
<p>Build it with <code>node scripts/build-console.mjs</code> (<code>npm start</code> does this for you), then reload.
The API works without it: see docs/api.md.</p></body></html>
`;

/** The settings the console's answers depend on. */
export type ConsoleConfig = Pick<Config, 'publicUrl'> & { s3?: Pick<NonNullable<Config['s3']>, 'publicBaseUrl'> | undefined };

export function consoleRoutes(config: ConsoleConfig, distDir = CONSOLE_DIST_DIR) {
  const policy = consolePolicy(mediaOriginsOf(config));
  return async function register(app: FastifyInstance): Promise<void> {
    // Scoped to this plugin: hooks and handlers here touch console answers only.
    app.addHook('onSend', (_request, reply, payload, done) => {
      reply.header('content-security-policy', policy);
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'no-referrer');
      done(null, payload);
    });
    // @fastify/static answers a dotfile or a folder with a 403 error: here it is an unknown file.
    app.setErrorHandler((error: FastifyError, request, reply) => {
      if (error.statusCode === undefined || error.statusCode >= 500) throw error;
      request.log.info({ err: { code: error.code, message: error.message } }, 'console path refused');
      const notFound = new ApiError('not_found', 'No such console file.');
      void reply.code(notFound.status).send(notFound.toEnvelope());
    });

    app.get('/', async (_request, reply) => {
      // Read per request (it is a few hundred bytes): a build made while the server runs is served at once.
      const page = await readFile(join(distDir, 'index.html')).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      });
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-cache')
        .send(page ?? NOT_BUILT_PAGE);
    });

    await app.register(fastifyStatic, {
      root: join(distDir, 'assets'),
      prefix: '/assets/',
      // Missing until the first build; the folder is looked up per request, so a later build is served.
      suppressWarning: true,
      decorateReply: false,
      index: false,
      list: false,
      dotfiles: 'deny',
      cacheControl: false,
      setHeaders: (res) => {
        res.header('cache-control', `public, max-age=${YEAR_SECONDS}, immutable`);
      },
    });
  };
}
