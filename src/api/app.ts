/**
 * buildApp(ctx): the Fastify application, without listening, so tests drive it with inject()
 * and the CLI puts it on a socket. Routes are grouped by resource; the bearer-key check and
 * rate limit apply to the authenticated group only.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { Context } from '../context.ts';
import { LazyRequestLogger } from '../logger.ts';
import { JobService } from '../jobs/job-service.ts';
import { installRateLimit } from '../limits/rate-limit.ts';
import { installHttpMetrics } from '../metrics/http-metrics.ts';
import { installAuth } from './auth.ts';
import { installNonJsonBodies } from './bodiless-routes.ts';
import { drainingGate } from './draining.ts';
import { clientErrorHandler } from './client-errors.ts';
import { installContentDecoding } from './content-encoding.ts';
import { installErrorHandlers, notFoundRoute, sendApiError } from './error-handler.ts';
import { installJsonParser } from './json-body.ts';
import { blobRoutes } from './routes/blobs.ts';
import { consoleRoutes } from './routes/console.ts';
import { fileRoutes } from './routes/files.ts';
import { deleteRequestRoutes } from './routes/delete-request.ts';
import { historyRoutes } from './routes/history.ts';
import { modelPageRoutes } from './routes/model-pages.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { modelRoutes } from './routes/models.ts';
import { requestRoutes } from './routes/requests.ts';
import { streamRoutes } from './routes/stream.ts';
import { usageRoutes } from './routes/usage.ts';
import { systemRoutes } from './routes/system.ts';
import { errorEnvelopeSchema } from './schemas.ts';
import { literalizeBadEscapes } from './url-escapes.ts';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * Longer than any URL Node accepts (its 16 KiB header cap includes the request line): an id of
 * any length reaches its route and is answered as the unknown id it is, not by the router.
 */
const MAX_PARAM_LENGTH = 16 * 1024;

export interface AppOptions {
  /** Aborted when the process starts shutting down: from then on every request gets 503 (api/draining.ts). */
  draining?: AbortSignal;
  /** Listen with TLS (PEM certificate chain and key, already checked by tls/material.ts); plain HTTP without. */
  https?: { cert: Buffer; key: Buffer };
}

/**
 * Our request ids: UUID-shaped, a random prefix per app (so the ids of many servers do not
 * collide in one log store) and a counter, instead of a random UUID per request (a third of a
 * microsecond on every poll). They label log lines and are no secret: a caller may send its own.
 */
function requestIdSequence(): () => string {
  const prefix = randomUUID().slice(0, 24);
  let next = 0;
  return () => prefix + (next++).toString(16).padStart(12, '0');
}

/**
 * A client that sends its request slowly (a byte now and then: slowloris) holds a connection and
 * its memory for as long as it likes unless the server bounds the request: Fastify turns Node's
 * bound off by default. MODELGATE_REQUEST_TIMEOUT_MS bounds the whole request, headers and body
 * (an upload included), and the headers alone get at most Node's 60 s. Node enforces both on an
 * interval (30 s by default); a quarter of the limit keeps the cut near it.
 */
function requestLimits(requestTimeoutMs: number) {
  return {
    requestTimeout: requestTimeoutMs,
    headersTimeout: Math.min(60_000, requestTimeoutMs),
    connectionsCheckingInterval: Math.min(30_000, Math.max(250, Math.round(requestTimeoutMs / 4))),
  };
}

export async function buildApp(ctx: Context, options: AppOptions = {}): Promise<FastifyInstance> {
  const nextRequestId = requestIdSequence();
  const limits = requestLimits(ctx.config.requestTimeoutMs);
  const app = Fastify({
    loggerInstance: ctx.log.child({ component: 'api' }) as FastifyBaseLogger,
    bodyLimit: ctx.config.bodyLimitBytes,
    requestTimeout: limits.requestTimeout,
    http: { connectionsCheckingInterval: limits.connectionsCheckingInterval },
    // HTTP/1.1 over TLS (no ALPN h2): what undici, curl and the RunComfy clients speak, keep-alive included.
    ...(options.https ? { https: { ...options.https, connectionsCheckingInterval: limits.connectionsCheckingInterval } } : {}),
    // Our own request id, or the caller's when it sent a sane one, echoed on every response.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : nextRequestId();
    },
    // A line per request only at debug level: at thousands of polls a second it is noise.
    // Request loggers are made lazily (logger.ts): most requests write no line at all.
    childLoggerFactory: (logger, bindings, options) => new LazyRequestLogger(logger as Logger, bindings, options) as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: ctx.config.logLevel !== 'debug' && ctx.config.logLevel !== 'trace' }),
    return503OnClosing: true,
    clientErrorHandler: clientErrorHandler(ctx.log.child({ component: 'api' }) as FastifyBaseLogger),
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    rewriteUrl: (req) => literalizeBadEscapes(req.url ?? '/'),
    // What the router itself refuses is answered like a path it does not know.
    frameworkErrors: (error, request, reply) => {
      request.log.info({ err: { code: error.code, message: error.message } }, 'router refused the URL');
      sendApiError(request, reply, notFoundRoute(request));
    },
  });
  app.server.headersTimeout = limits.headersTimeout;
  // One hook in front of every route, callback style (no promise per request): the request id
  // goes on the answer here, before any route work, so every reply has it without an onSend
  // hook per response; replies made before hooks run (router refusals, 404) set it in
  // sendApiError. While shutting down, the same hook answers 503 (api/draining.ts).
  const refuseWhileDraining = options.draining ? drainingGate(options.draining, Math.max(1, Math.ceil(ctx.config.shutdownGraceMs / 1000))) : undefined;
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    if (refuseWhileDraining?.(request, reply)) return;
    done();
  });
  app.addSchema(errorEnvelopeSchema);
  installJsonParser(app);
  installNonJsonBodies(app);
  installContentDecoding(app);
  installErrorHandlers(app);
  installHttpMetrics(app, ctx.metrics);

  const jobs = new JobService(ctx);
  await app.register(systemRoutes(ctx));
  await app.register(metricsRoutes(ctx));
  await app.register(modelPageRoutes(ctx));
  await app.register(blobRoutes(ctx.blobs));
  await app.register(consoleRoutes(ctx.config));

  await app.register(async (authed) => {
    installAuth(authed, ctx.store);
    await installRateLimit(authed, ctx);
    await authed.register(modelRoutes(ctx, jobs, options.draining));
    await authed.register(requestRoutes(jobs));
    await authed.register(historyRoutes(ctx));
    await authed.register(deleteRequestRoutes(ctx, jobs));
    await authed.register(streamRoutes(jobs));
    await authed.register(fileRoutes(ctx));
    await authed.register(usageRoutes(ctx));
  });
  return app;
}
