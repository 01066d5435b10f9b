/**
 * The HTTP contract in one module: response schemas for the routes (Fastify serialises with
 * them) and the same objects feed the OpenAPI document, so the two cannot drift apart.
 */
const url = { type: 'string', format: 'uri' } as const;
const requestId = { type: 'string', description: 'Unique identifier for the request.' } as const;

export const errorEnvelopeSchema = {
  $id: 'ErrorEnvelope',
  type: 'object',
  required: ['error_code', 'error_message'],
  properties: {
    error_code: { type: 'integer' },
    error_message: { type: 'string' },
    detail: {
      type: 'array',
      items: {
        type: 'object',
        required: ['loc', 'msg', 'type'],
        properties: {
          loc: { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'integer' }] } },
          msg: { type: 'string' },
          type: { type: 'string' },
        },
      },
    },
  },
} as const;

export const submitResponseSchema = {
  type: 'object',
  required: ['request_id', 'status_url', 'result_url', 'cancel_url'],
  properties: { request_id: requestId, status_url: url, result_url: url, cancel_url: url },
} as const;

export const statusResponseSchema = {
  type: 'object',
  required: ['request_id', 'status', 'status_url', 'result_url'],
  properties: {
    request_id: requestId,
    status: { type: 'string', enum: ['in_queue', 'in_progress', 'completed', 'cancelled'] },
    queue_position: { type: 'integer', minimum: 0, description: 'Only while in_queue; 0 means next to run.' },
    progress: { type: 'number', minimum: 0, maximum: 1, description: 'Extension: only while in_progress, when the engine reports it.' },
    status_url: url,
    result_url: url,
  },
} as const;

export const outputSchema = {
  type: 'object',
  properties: { image: url, video: url, images: { type: 'array', items: url }, videos: { type: 'array', items: url } },
} as const;

export const resultResponseSchema = {
  type: 'object',
  required: ['request_id', 'status', 'created_at'],
  properties: {
    request_id: requestId,
    status: { type: 'string', enum: ['in_queue', 'in_progress', 'succeeded', 'failed', 'cancelled'] },
    output: outputSchema,
    error: { type: 'object', required: ['type', 'message'], properties: { type: { type: 'string' }, message: { type: 'string' } } },
    created_at: { type: 'string', format: 'date-time' },
    finished_at: { type: 'string', format: 'date-time' },
    metrics: { type: 'object', properties: { queue_seconds: { type: 'number' }, run_seconds: { type: 'number' } } },
  },
} as const;

export const cancelResponseSchema = {
  type: 'object',
  required: ['request_id', 'status', 'outcome'],
  properties: {
    request_id: requestId,
    status: statusResponseSchema.properties.status,
    outcome: { type: 'string', enum: ['cancelled', 'not_cancellable'] },
  },
} as const;

export const modelSummarySchema = {
  type: 'object',
  required: ['model_id', 'display_name', 'categories'],
  properties: {
    model_id: { type: 'string' },
    display_name: { type: 'string' },
    categories: { type: 'array', items: { type: 'string' } },
    description: { type: 'string' },
    engine: { type: 'string' },
    engine_available: { type: 'boolean' },
  },
} as const;

export const modelListSchema = {
  type: 'object',
  required: ['models', 'total'],
  properties: { models: { type: 'array', items: modelSummarySchema }, total: { type: 'integer' } },
} as const;

export const modelDetailSchema = {
  type: 'object',
  required: ['model_id', 'display_name', 'categories', 'input_schema', 'output_schema'],
  properties: {
    ...modelSummarySchema.properties,
    input_schema: { type: 'object', additionalProperties: true },
    output_schema: { type: 'object', additionalProperties: true },
  },
} as const;

const errorResponse = { $ref: 'ErrorEnvelope#' } as const;

/** The error statuses each route can answer with, for the route schemas and the OpenAPI doc. */
export const errorResponses = (statuses: number[]): Record<number, typeof errorResponse> =>
  Object.fromEntries(statuses.map((status) => [status, errorResponse]));
