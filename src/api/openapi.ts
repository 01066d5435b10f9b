/**
 * The OpenAPI 3.1 document, generated from the same route schemas the server validates and
 * serialises with, plus one submit operation per catalog model with that model's input schema.
 */
import type { Catalog } from '../catalog/catalog.ts';
import { ERROR_CATALOG } from '../errors.ts';
import { uploadResponseSchema } from './routes/files.ts';
import { usageQuerySchema, usageResponseSchema } from './routes/usage.ts';
import * as s from './schemas.ts';

const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const errorRef = { $ref: '#/components/schemas/ErrorEnvelope' };

function errors(statuses: number[]) {
  return Object.fromEntries(
    statuses.map((status) => {
      const codes = Object.values(ERROR_CATALOG).filter((e) => e.status === status);
      return [String(status), { description: codes.map((e) => `${e.code}: ${e.meaning}`).join(' '), ...json(errorRef) }];
    }),
  );
}

/** A querystring schema's properties as OpenAPI query parameters (the route validates with the same schema). */
function queryParameters(schema: { properties: Record<string, { description?: string }> }) {
  return Object.entries(schema.properties).map(([name, { description, ...rest }]) => ({ name, in: 'query', required: false, description, schema: rest }));
}

/** RFC 7240 `Prefer: wait=N` on a submit (jobs/wait-for-settle.ts). */
const preferWaitParam = {
  name: 'Prefer',
  in: 'header',
  required: false,
  description: '`wait=N` (1 to 60): hold the answer until the request finishes (status, output or error included) or N seconds pass; `Preference-Applied: wait=N` says it was honoured. Other values are ignored.',
  schema: { type: 'string' },
};

const requestIdParam = { name: 'request_id', in: 'path', required: true, schema: { type: 'string' } };

export function buildOpenApi(catalog: Catalog, publicUrl: string): Record<string, unknown> {
  const { $id: _id, ...errorEnvelope } = s.errorEnvelopeSchema;
  const paths: Record<string, unknown> = {
    '/v1/models': {
      get: {
        summary: 'List the catalog: search, filter by category, page',
        operationId: 'listModels',
        parameters: queryParameters(s.modelListQuerySchema),
        responses: { 200: { description: 'One page of the matching models; total counts every match', ...json(s.modelListSchema) }, ...errors([401, 422]) },
      },
    },
    '/v1/models/categories': {
      get: { summary: 'List the categories, with how many models each has', operationId: 'listCategories', responses: { 200: { description: 'The categories', ...json(s.categoryListSchema) }, ...errors([401]) } },
    },
    '/v1/requests/{request_id}/status': {
      get: { summary: 'Check request status', operationId: 'getStatus', parameters: [requestIdParam], responses: { 200: { description: 'Current state', ...json(s.statusResponseSchema) }, ...errors([401, 404, 429]) } },
    },
    '/v1/requests/{request_id}/result': {
      get: { summary: 'Retrieve request result', operationId: 'getResult', parameters: [requestIdParam, ...queryParameters(s.resultQuerySchema)], responses: { 200: { description: 'Outputs once finished, else the current state', ...json(s.resultResponseSchema) }, ...errors([401, 404, 422, 429]) } },
    },
    '/v1/requests/{request_id}/cancel': {
      post: { summary: 'Cancel a queued request', operationId: 'cancelRequest', parameters: [requestIdParam], responses: { 200: { description: 'cancelled, or not_cancellable once running or finished', ...json(s.cancelResponseSchema) }, ...errors([401, 404, 429]) } },
    },
  };
  paths['/v1/requests/{request_id}/stream'] = {
    get: {
      summary: 'Server-Sent Events of one request: `status` events, then one `result` event',
      operationId: 'streamRequest',
      parameters: [requestIdParam],
      responses: { 200: { description: 'An event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } }, ...errors([401, 404, 429]) },
    },
  };
  paths['/v1/requests'] = {
    get: {
      summary: "The calling key's requests, newest first, a page at a time (keyset cursor)",
      operationId: 'listRequests',
      parameters: queryParameters(s.historyQuerySchema),
      responses: { 200: { description: 'One page; pass next_cursor as cursor for the next (older) one', ...json(s.historyResponseSchema) }, ...errors([401, 422, 429]) },
    },
  };
  paths['/v1/requests/{request_id}'] = {
    delete: {
      summary: 'Delete a request: its outputs and stored inputs, then the request (a queued one is cancelled first)',
      operationId: 'deleteRequest',
      parameters: [requestIdParam],
      responses: { 200: { description: 'Deleted; the id answers 404001 from now on', ...json(s.deleteResponseSchema) }, ...errors([401, 404, 422, 429]) },
    },
  };
  paths['/v1/usage'] = {
    get: {
      summary: "The calling key's jobs, outputs, seconds of video and cost in a window, in total, by model or by day",
      operationId: 'getUsage',
      parameters: queryParameters(usageQuerySchema),
      responses: { 200: { description: 'Sums over jobs that finished in [from, to)', ...json(usageResponseSchema) }, ...errors([401, 422, 429]) },
    },
  };
  paths['/v1/files'] = {
    post: {
      summary: 'Upload a file to use as a file input',
      operationId: 'uploadFile',
      requestBody: { required: true, content: { 'multipart/form-data': { schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' } } } } } },
      responses: { 200: { description: 'Stored; pass `url` as the input value', ...json(uploadResponseSchema) }, ...errors([401, 413, 422, 429]) },
    },
  };
  paths['/v1/files/{file_id}'] = {
    get: {
      summary: 'Download an upload (its owner only)',
      operationId: 'getFile',
      parameters: [{ name: 'file_id', in: 'path', required: true, schema: { type: 'string' } }],
      responses: { 200: { description: 'The file, with its detected content type' }, ...errors([401, 404]) },
    },
  };
  for (const model of catalog.models) {
    // Literal paths, like the submit operations: a model id's slashes are not one path parameter.
    paths[`/models/${model.id}`] = {
      get: { summary: `${model.displayName}: documentation page (its model_url; no key)`, tags: [model.id], security: [], responses: { 200: { description: 'An HTML page', content: { 'text/html': { schema: { type: 'string' } } } } } },
    };
    paths[`/v1/models/${model.id}`] = {
      get: { summary: `Describe ${model.displayName}`, tags: [model.id], responses: { 200: { description: 'Model with its schemas', ...json(s.modelDetailSchema) }, ...errors([401]) } },
      post: {
        summary: `Submit a ${model.displayName} request`,
        description: model.description,
        tags: [model.id],
        parameters: [...queryParameters(s.submitQuerySchema), preferWaitParam],
        requestBody: { required: true, ...json(model.inputSchema) },
        responses: { 200: { description: 'Accepted; poll status_url', ...json(s.submitResponseSchema) }, ...errors([400, 401, 413, 422, 429]) },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'ModelGate (RunComfy-compatible Model API)', version: '1' },
    servers: [{ url: publicUrl }],
    security: [{ bearer: [] }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, schemas: { ErrorEnvelope: errorEnvelope } },
    paths,
  };
}
