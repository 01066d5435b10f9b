/** Status, result and cancel of one request; all scoped to the calling key. */
import type { FastifyInstance } from 'fastify';
import type { JobService } from '../../jobs/job-service.ts';
import { ownerOf } from '../auth.ts';
import { booleanQueryWords, queryErrorFormatter } from '../query-params.ts';
import { cancelResponseSchema, errorResponses, resultQuerySchema, resultResponseSchema, statusResponseSchema } from '../schemas.ts';

type ById = { Params: { request_id: string } };
type ResultQuery = { Querystring: { include_cost: boolean; include_input: boolean } };

export function requestRoutes(jobs: JobService) {
  return async function register(app: FastifyInstance): Promise<void> {
    const errors = errorResponses([401, 404, 429]);
    app.get<ById>('/v1/requests/:request_id/status', { schema: { response: { 200: statusResponseSchema, ...errors } } }, (request) =>
      jobs.status(ownerOf(request), request.params.request_id),
    );
    app.get<ById & ResultQuery>(
      '/v1/requests/:request_id/result',
      {
        schema: { querystring: resultQuerySchema, response: { 200: resultResponseSchema, ...errors, ...errorResponses([422]) } },
        preValidation: booleanQueryWords(['include_cost', 'include_input']),
        schemaErrorFormatter: queryErrorFormatter(resultQuerySchema),
      },
      (request) => jobs.result(ownerOf(request), request.params.request_id, { includeCost: request.query.include_cost, includeInput: request.query.include_input }),
    );
    // Clients send a cancel with all sorts of bodies (aiohttp: an empty octet-stream); none is read.
    app.post<ById>('/v1/requests/:request_id/cancel', { config: { ignoresBody: true }, schema: { response: { 200: cancelResponseSchema, ...errors } } }, (request) =>
      jobs.cancel(ownerOf(request), request.params.request_id),
    );
  };
}
