/** The catalog (GET) and job submission (POST), both under /v1/models/<model id with slashes>. */
import type { FastifyInstance } from 'fastify';
import type { Context } from '../../context.ts';
import { ApiError } from '../../errors.ts';
import { idempotencyKeyOf } from '../../jobs/idempotency.ts';
import type { JobService } from '../../jobs/job-service.ts';
import { settledFields } from '../../jobs/job-views.ts';
import { holdSignal, preferredWait, SettleWaits } from '../../jobs/wait-for-settle.ts';
import { ownerOf } from '../auth.ts';
import { categoryCounts, filterModels } from '../../catalog/query.ts';
import type { CatalogModel, FileKind } from '../../catalog/types.ts';
import { modelPageUrl } from '../model-page.ts';
import { booleanQueryWords, queryErrorFormatter } from '../query-params.ts';
import { categoryListSchema, errorResponses, modelDetailSchema, modelListQuerySchema, modelListSchema, submitResponseSchema } from '../schemas.ts';

interface ModelListQuery {
  search?: string;
  category?: string;
  /** Defaulted by the querystring schema. */
  limit: number;
  offset: number;
  include_schema: boolean;
}

/** Room for the largest data: URI (base64 is 4/3 of the bytes) plus the rest of the input. */
function submitBodyLimit(ctx: Context): number {
  return Math.max(ctx.config.bodyLimitBytes, Math.ceil((ctx.config.inputs.limits.maxDataUriBytes * 4) / 3) + 64 * 1024);
}

/** A catalog entry as the list, the detail route and the model page show it. */
export function modelSummary(ctx: Context, id: string) {
  const model = ctx.catalog.get(id)!;
  const route = ctx.engines.route(id);
  const price = ctx.pricing.priceOf(id);
  return { model_id: model.id, display_name: model.displayName, categories: model.categories, description: model.description, engine: route.engineName, engine_available: route.engine !== undefined, model_url: modelPageUrl(ctx.config.publicUrl, model.id), base_price_usd: price.usd, price_unit: price.unit, pricing_note: price.note };
}

/** A model's `file_inputs` as the model routes answer them: field → the kind of file it takes. */
export function fileInputsView(model: CatalogModel): Record<string, { kind: FileKind }> {
  return Object.fromEntries(model.fileInputs.map((input) => [input.field, { kind: input.kind }]));
}

/** `draining`: aborted at shutdown, which ends every `Prefer: wait` hold at once. */
export function modelRoutes(ctx: Context, jobs: JobService, draining?: AbortSignal) {
  const waits = new SettleWaits(ctx.store, ctx.config.maxWaitingRequests);
  const summary = (id: string) => modelSummary(ctx, id);
  // With the schemas come the file fields (an extension), so clients such as `modelgate run` know
  // which values to upload: on the detail route and on the list's include_schema entries alike.
  const detail = (model: CatalogModel) => ({ ...summary(model.id), input_schema: model.inputSchema, output_schema: model.outputSchema, file_inputs: fileInputsView(model) });

  return async function register(app: FastifyInstance): Promise<void> {
    app.get<{ Querystring: ModelListQuery }>(
      '/v1/models',
      {
        schema: { querystring: modelListQuerySchema, response: { 200: modelListSchema, ...errorResponses([401, 422]) } },
        preValidation: booleanQueryWords(['include_schema']),
        schemaErrorFormatter: queryErrorFormatter(modelListQuerySchema),
      },
      async (request) => {
        const { search, category, limit, offset, include_schema } = request.query;
        const matches = filterModels(ctx.catalog.models, { search, category });
        const models = matches
          .slice(offset, offset + limit)
          .map((model) => (include_schema ? detail(model) : summary(model.id)));
        return { models, total: matches.length };
      },
    );

    // A static route, so the router prefers it to the model-id wildcard below (no model is named "categories").
    app.get('/v1/models/categories', { schema: { response: { 200: categoryListSchema, ...errorResponses([401]) } } }, async () => {
      const categories = categoryCounts(ctx.catalog.models);
      return { categories, total: categories.length };
    });

    app.get<{ Params: { '*': string } }>('/v1/models/*', { schema: { response: { 200: modelDetailSchema, ...errorResponses([400, 401]) } } }, async (request) => {
      const model = ctx.catalog.get(request.params['*']);
      if (!model) throw new ApiError('unknown_model', `Unknown model id "${request.params['*']}". GET /v1/models lists the available models.`);
      return detail(model);
    });

    app.post<{ Params: { '*': string }; Body: unknown }>(
      '/v1/models/*',
      { bodyLimit: submitBodyLimit(ctx), schema: { response: { 200: submitResponseSchema, ...errorResponses([400, 401, 413, 422, 429]) } } },
      // The body's depth and size of shape were bounded by the JSON parser (json-scan.ts).
      // ?webhook=&webhook_events_filter= ride in the query, so the body stays the model's input.
      async (request, reply) => {
        const owner = ownerOf(request);
        const answer = await jobs.submit(owner, request.params['*'], request.body, idempotencyKeyOf(request.headers['idempotency-key']), request.query as Record<string, unknown>);
        // Prefer: wait=N (jobs/wait-for-settle.ts): hold the answer until the job finishes or N s pass.
        const seconds = preferredWait(request.headers.prefer);
        if (seconds === undefined || !waits.tryHold()) return answer;
        const hold = holdSignal(reply.raw, draining);
        try {
          const job = await waits.hold(answer.request_id, seconds * 1000, () => jobs.get(owner, answer.request_id), { signal: hold.signal });
          void reply.header('preference-applied', `wait=${seconds}`);
          return { ...answer, ...settledFields(job, ctx.blobs) };
        } catch (error) {
          // Deleted (DELETE /v1/requests/{id}) while held: the submit itself was accepted.
          if (error instanceof ApiError && error.kind === 'not_found') return answer;
          throw error;
        } finally {
          hold.release();
        }
      },
    );
  };
}
