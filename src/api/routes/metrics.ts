/**
 * GET /metrics: Prometheus text for this process, behind MODELGATE_METRICS_TOKEN (API keys never
 * open it: a client key is not an operator credential). Without the token set the route does not
 * exist (404001), so an install that does not scrape shows nothing.
 */
import type { FastifyInstance } from 'fastify';
import type { Context } from '../../context.ts';
import { ApiError } from '../../errors.ts';
import { carriesMetricsToken } from '../../metrics/token.ts';

export function metricsRoutes(ctx: Context) {
  return async function register(app: FastifyInstance): Promise<void> {
    const token = ctx.config.metricsToken;
    if (token === undefined) return;
    const { registry } = ctx.metrics;
    app.get('/metrics', async (request, reply) => {
      if (!carriesMetricsToken(request.headers.authorization, token)) {
        throw new ApiError('unauthorized', 'Missing or wrong metrics token: send "Authorization: Bearer <MODELGATE_METRICS_TOKEN>".');
      }
      return reply.type(registry.contentType).send(await registry.metrics());
    });
  };
}
