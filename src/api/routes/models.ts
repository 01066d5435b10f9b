/** The catalog (GET) and job submission (POST), both under /v1/models/<model id with slashes>. */
import type { FastifyInstance } from 'fastify';
import type { Context } from '../../context.ts';
import { ApiError } from '../../errors.ts';
import { idempotencyKeyOf } from '../../jobs/idempotency.ts';
import type { JobService } from '../../jobs/job-service.ts';
import { ownerOf } from '../auth.ts';
import { errorResponses, modelDetailSchema, modelListSchema, submitResponseSchema } from '../schemas.ts';

/** Room for the largest data: URI (base64 is 4/3 of the bytes) plus the rest of the input. */
function submitBodyLimit(ctx: Context): number {
  return Math.max(ctx.config.bodyLimitBytes, Math.ceil((ctx.config.inputs.limits.maxDataUriBytes * 4) / 3) + 64 * 1024);
}

export function modelRoutes(ctx: Context, jobs: JobService) {
  const summary = (id: string) => {
    const model = ctx.catalog.get(id)!;
    const route = ctx.engines.route(id);
    return { model_id: model.id, display_name: model.displayName, categories: model.categories, description: model.description, engine: route.engineName, engine_available: route.engine !== undefined };
  };

  return async function register(app: FastifyInstance): Promise<void> {
    app.get('/v1/models', { schema: { response: { 200: modelListSchema, ...errorResponses([401]) } } }, async () => {
      const models = ctx.catalog.models.map((model) => summary(model.id));
      return { models, total: models.length };
    });

    app.get<{ Params: { '*': string } }>('/v1/models/*', { schema: { response: { 200: modelDetailSchema, ...errorResponses([400, 401]) } } }, async (request) => {
      const model = ctx.catalog.get(request.params['*']);
      if (!model) throw new ApiError('unknown_model', `Unknown model id "${request.params['*']}". GET /v1/models lists the available models.`);
      return { ...summary(model.id), input_schema: model.inputSchema, output_schema: model.outputSchema };
    });

    app.post<{ Params: { '*': string }; Body: unknown }>(
      '/v1/models/*',
      { bodyLimit: submitBodyLimit(ctx), schema: { response: { 200: submitResponseSchema, ...errorResponses([400, 401, 413, 422, 429]) } } },
      // The body's depth and size of shape were bounded by the JSON parser (json-scan.ts).
      async (request) => jobs.submit(ownerOf(request), request.params['*'], request.body, idempotencyKeyOf(request.headers['idempotency-key'])),
    );
  };
}
