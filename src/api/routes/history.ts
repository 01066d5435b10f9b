/** GET /v1/requests: the calling key's own requests, newest first, with an opaque cursor (jobs/history.ts). */
import type { FastifyInstance } from 'fastify';
import type { Context } from '../../context.ts';
import { historyPage, type RawHistoryQuery } from '../../jobs/history.ts';
import { ownerOf } from '../auth.ts';
import { queryErrorFormatter } from '../query-params.ts';
import { errorResponses, historyQuerySchema, historyResponseSchema } from '../schemas.ts';

export function historyRoutes(ctx: Context) {
  return async function register(app: FastifyInstance): Promise<void> {
    app.get<{ Querystring: RawHistoryQuery }>(
      '/v1/requests',
      {
        schema: { querystring: historyQuerySchema, response: { 200: historyResponseSchema, ...errorResponses([401, 422, 429]) } },
        schemaErrorFormatter: queryErrorFormatter(historyQuerySchema),
      },
      (request) => historyPage(ctx, ownerOf(request), request.query),
    );
  };
}
