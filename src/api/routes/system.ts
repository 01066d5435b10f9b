/** Unauthenticated routes: health for load balancers, and the OpenAPI document. */
import type { FastifyInstance } from 'fastify';
import type { Context } from '../../context.ts';
import { buildOpenApi } from '../openapi.ts';

export function systemRoutes(ctx: Context) {
  const openapi = buildOpenApi(ctx.catalog, ctx.config.publicUrl);
  return async function register(app: FastifyInstance): Promise<void> {
    app.get('/healthz', async () => ({ status: 'ok', models: ctx.catalog.models.length, engines: ctx.engines.describe() }));
    app.get('/openapi.json', async () => openapi);
  };
}
