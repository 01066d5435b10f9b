/** DELETE /v1/requests/{id}: a request's outputs and stored inputs, then the request itself (jobs/deletion.ts). */
import type { FastifyInstance } from 'fastify';
import type { Context } from '../../context.ts';
import { deleteRequest } from '../../jobs/deletion.ts';
import type { JobService } from '../../jobs/job-service.ts';
import { ownerOf } from '../auth.ts';
import { deleteResponseSchema, errorResponses } from '../schemas.ts';

export function deleteRequestRoutes(ctx: Context, jobs: JobService) {
  return async function register(app: FastifyInstance): Promise<void> {
    // Clients send DELETE with all sorts of bodies, like a cancel; none is read.
    app.delete<{ Params: { request_id: string } }>(
      '/v1/requests/:request_id',
      { config: { ignoresBody: true }, schema: { response: { 200: deleteResponseSchema, ...errorResponses([401, 404, 422, 429]) } } },
      (request) => deleteRequest(ctx, jobs, ownerOf(request), request.params.request_id),
    );
  };
}
