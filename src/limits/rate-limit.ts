/**
 * MODELGATE_RATE_LIMIT_PER_MINUTE, per API key, in the one place every API server sees:
 *
 * - Redis when MODELGATE_REDIS_URL is set (the plugin's own Redis store: an atomic Lua INCR with
 *   a TTL). If Redis fails or stops answering (1 s), requests are let through (logged, throttled)
 *   rather than failed: the limit protects the service, so losing it must not take the service down.
 * - else PostgreSQL when the store has shared rate windows (Store.hitRateWindow): one upsert per
 *   request. A database failure there is the request's storage failure (503002), as the key
 *   lookup before it would be.
 * - else (SQLite) the plugin's in-memory counter. SQLite means one machine, and its one API
 *   process sees every request, so memory is exact and costs no write (with FULL sync a write per
 *   status poll would be an fsync per poll). Two serve processes over one SQLite file each count
 *   for themselves; README says so.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Context } from '../context.ts';
import { StartupError } from '../config-error.ts';
import { ApiError } from '../errors.ts';
import { ThrottledLog } from '../throttled-log.ts';
import { windowStoreClass } from './window-store.ts';

const WINDOW_MS = 60_000;
/**
 * A Redis that answers nothing (cut off without a reset) would hold every authenticated request
 * at its rate check; past this the check fails and, as for any Redis failure, the request passes
 * unlimited. A healthy check takes well under a millisecond.
 */
const REDIS_COMMAND_TIMEOUT_MS = 1_000;

/** Registers the limit on `app` (the authenticated routes); does nothing when no limit is set. */
export async function installRateLimit(app: FastifyInstance, ctx: Context): Promise<void> {
  const max = ctx.config.rateLimitPerMinute;
  if (max <= 0) return;
  const redis = ctx.config.redisUrl === undefined ? undefined : await connectRedis(app, ctx.config.redisUrl);
  const hit = ctx.store.capabilities.sharedRateWindows ? ctx.store.hitRateWindow.bind(ctx.store) : undefined;
  await app.register(rateLimit, {
    max,
    timeWindow: WINDOW_MS,
    hook: 'preHandler',
    keyGenerator: (request) => request.apiKey?.id ?? request.ip,
    ...(redis ? { redis, nameSpace: 'modelgate-rate-', skipOnError: true } : hit ? { store: windowStoreClass(hit) } : {}),
    errorResponseBuilder: (_request, context) =>
      new ApiError('rate_limited', `Rate limit of ${context.max} requests per minute exceeded; retry in ${Math.ceil(context.ttl / 1000)} s.`, {
        headers: { 'retry-after': String(Math.ceil(context.ttl / 1000)) },
      }),
  });
}

/**
 * Connects before the app serves, so a wrong URL stops the start with the variable's name.
 * Afterwards commands fail at once while Redis is away (no offline queue, one try), so a request
 * never waits for Redis to come back.
 */
async function connectRedis(app: FastifyInstance, url: string): Promise<Redis> {
  // Imported here, not at the top: ioredis costs every process ~20 MB of RSS, and only a Redis setup needs it.
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 5_000, commandTimeout: REDIS_COMMAND_TIMEOUT_MS, keepAlive: 10_000 });
  const faults = new ThrottledLog(app.log);
  redis.on('error', (error: Error) => faults.write('warn', 'redis', { err: error }, 'Redis for rate limits fails; requests pass unlimited meanwhile'));
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new StartupError(`cannot connect to MODELGATE_REDIS_URL (${(error as Error).message}); check the URL or unset it`);
  }
  app.addHook('onClose', async () => {
    await redis.quit().catch(() => redis.disconnect());
  });
  return redis;
}
