/**
 * The HTTP contract in one module: response schemas for the routes (Fastify serialises with
 * them) and the same objects feed the OpenAPI document, so the two cannot drift apart.
 */
const url = { type: 'string', format: 'uri' } as const;
const requestId = { type: 'string', description: 'Unique identifier for the request.' } as const;
/** Not in RunComfy's answers, so only present when there is something to list. */
const ignoredFields = {
  type: 'array',
  items: { type: 'string' },
  description: 'Extension, with MODELGATE_UNKNOWN_INPUTS=ignore: submitted fields the input schema does not list, which the job runs without (sorted). Absent when there were none.',
} as const;

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
  properties: {
    request_id: requestId,
    status_url: url,
    result_url: url,
    cancel_url: url,
    ignored_fields: ignoredFields,
    // Prefer: wait=N (an extension; with Preference-Applied): the job as it was when the wait ended.
    status: { type: 'string', enum: ['in_queue', 'in_progress', 'completed', 'cancelled'], description: 'Extension, only with `Prefer: wait=N` honoured: the status route\'s status when the answer was sent.' },
    output: { type: 'object', properties: { image: url, video: url, images: { type: 'array', items: url }, videos: { type: 'array', items: url } }, description: 'Extension, with `Prefer: wait=N`: the output when the job succeeded in time, as on the result route.' },
    error: { type: 'object', required: ['type', 'message'], properties: { type: { type: 'string' }, message: { type: 'string' } }, description: 'Extension, with `Prefer: wait=N`: why the job failed, when it failed in time.' },
  },
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
    ignored_fields: ignoredFields,
  },
} as const;

export const outputSchema = {
  type: 'object',
  properties: { image: url, video: url, images: { type: 'array', items: url }, videos: { type: 'array', items: url } },
} as const;

/** The submit route's query (an extension): a webhook for the request's events (docs/api.md, Webhooks). */
export const submitQuerySchema = {
  type: 'object',
  properties: {
    webhook: { type: 'string', format: 'uri', maxLength: 2048, description: 'Extension: POST the request\'s events to this URL, signed per Standard Webhooks (https only unless the operator allows http; private addresses are refused).' },
    webhook_events_filter: { type: 'string', default: 'completed', description: 'Extension: which events to send, comma-separated: completed (the result), start (first claimed), progress (best-effort, coalesced).' },
  },
} as const;

/** `webhook` on a result: how the delivery of its `completed` event stands. */
export const webhookStateSchema = {
  type: 'object',
  required: ['state', 'attempts'],
  description: 'Extension, requests submitted with ?webhook= (and the completed event): pending (not sent yet: the request has not finished), delivering (sent, no 2xx yet; being retried), delivered (a 2xx came back), failed (given up).',
  properties: {
    state: { type: 'string', enum: ['pending', 'delivering', 'delivered', 'failed'] },
    attempts: { type: 'integer', minimum: 0, description: 'Attempts made so far (the one in flight included).' },
  },
} as const;

/** The result route's query (an extension; without it the answer is RunComfy's). */
export const resultQuerySchema = {
  type: 'object',
  properties: {
    include_cost: { type: 'boolean', default: false, description: 'Add `cost` (USD) to a finished request\'s result.' },
    include_input: { type: 'boolean', default: false, description: 'Add `input`: the input the request runs with, as stored at submit (validated, defaults filled in, data: URIs replaced by the URL of the stored file).' },
  },
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
    input: { type: 'object', additionalProperties: true, description: 'Extension, only with ?include_input=true: the input the request runs with, as stored at submit (validated, defaults filled in, data: URIs replaced by the URL of the stored file).' },
    cost: { type: 'number', minimum: 0, description: 'Extension, only with ?include_cost=true on a finished request: USD at the price in force when it finished (0 when failed or cancelled).' },
    expires_at: { type: 'string', format: 'date-time', description: 'Extension, with MODELGATE_OUTPUT_RETENTION_HOURS, finished requests only: when the request and its outputs are deleted.' },
    ignored_fields: ignoredFields,
    webhook: webhookStateSchema,
    notices: {
      type: 'array',
      items: { type: 'string' },
      description: 'Extension, succeeded requests only: what the engine said about this output, e.g. that the bundled text-to-image model draws coloured shapes only and how to configure a real one. Absent when it said nothing.',
    },
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
  required: ['model_id', 'display_name', 'categories', 'model_url', 'base_price_usd', 'price_unit', 'pricing_note'],
  properties: {
    model_id: { type: 'string' },
    display_name: { type: 'string' },
    categories: { type: 'array', items: { type: 'string' } },
    description: { type: 'string' },
    engine: { type: 'string' },
    engine_available: { type: 'boolean' },
    model_url: { ...url, description: 'A page on this server that documents the model (HTML, no key needed).' },
    base_price_usd: { type: 'number', minimum: 0, description: "The operator's price (MODELGATE_CONFIG), in USD per price_unit; 0 when none is set." },
    price_unit: { type: 'string', enum: ['output', 'second'], description: '`output`: per image made (image models); `second`: per second of video (video models).' },
    pricing_note: { type: 'string', description: 'The price in words, as the operator wrote it or as derived from it.' },
  },
} as const;

/** The largest page GET /v1/models answers (RunComfy-style clients page with limit/offset). */
export const MODEL_LIST_MAX_LIMIT = 100;

/** GET /v1/models's query, as RunComfy's CLI sends it; other parameters (its `kind`) are ignored. */
export const modelListQuerySchema = {
  type: 'object',
  properties: {
    search: { type: 'string', description: 'Case-insensitive substring of model_id, display_name or a category; empty means all.' },
    category: { type: 'string', description: 'Only models in this category (case-insensitive); a category no model has matches nothing.' },
    limit: { type: 'integer', minimum: 1, maximum: MODEL_LIST_MAX_LIMIT, default: MODEL_LIST_MAX_LIMIT, description: 'Page size.' },
    offset: { type: 'integer', minimum: 0, default: 0, description: 'Matches to skip.' },
    include_schema: { type: 'boolean', default: false, description: 'Add input_schema and output_schema to each entry, as GET /v1/models/{model_id} shows them.' },
  },
} as const;

/** What the detail route and the list's include_schema entries add to a summary. */
const modelSchemas = {
  input_schema: { type: 'object', additionalProperties: true },
  output_schema: { type: 'object', additionalProperties: true },
  file_inputs: {
    type: 'object',
    additionalProperties: { type: 'object', required: ['kind'], properties: { kind: { type: 'string', enum: ['image', 'video'] } } },
    description: 'Extension: the input fields that take a file (an https URL, an upload\'s URL from POST /v1/files, or a data: URI), by name, with the kind of file each must be. Their rules are the `validations` of the field in input_schema.',
  },
} as const;

export const modelListSchema = {
  type: 'object',
  required: ['models', 'total'],
  properties: {
    // The schemas are listed so that include_schema's entries are serialised with them.
    models: { type: 'array', items: { ...modelSummarySchema, properties: { ...modelSummarySchema.properties, ...modelSchemas } } },
    total: { type: 'integer', minimum: 0, description: 'How many models match, before limit and offset.' },
  },
} as const;

export const categoryListSchema = {
  type: 'object',
  required: ['categories', 'total'],
  properties: {
    categories: {
      type: 'array',
      items: { type: 'object', required: ['category', 'count'], properties: { category: { type: 'string' }, count: { type: 'integer', minimum: 1, description: 'Models in this category.' } } },
    },
    total: { type: 'integer', minimum: 0, description: 'How many categories there are.' },
  },
} as const;

export const modelDetailSchema = {
  type: 'object',
  required: ['model_id', 'display_name', 'categories', 'input_schema', 'output_schema'],
  properties: { ...modelSummarySchema.properties, ...modelSchemas },
} as const;

const errorResponse = { $ref: 'ErrorEnvelope#' } as const;

/** The error statuses each route can answer with, for the route schemas and the OpenAPI doc. */
export const errorResponses = (statuses: number[]): Record<number, typeof errorResponse> =>
  Object.fromEntries(statuses.map((status) => [status, errorResponse]));

/** GET /v1/requests's query; model_id, status, cursor and since are checked by jobs/history.ts, which names the parameter. */
export const historyQuerySchema = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 100, default: 20, description: 'Page size.' },
    cursor: { type: 'string', description: 'next_cursor from the previous page, unchanged; absent for the first (newest) page.' },
    model_id: { type: 'string', description: 'Only requests for this model (exact id).' },
    status: { type: 'string', description: 'Only requests in this status (in_queue, in_progress, succeeded, failed, cancelled), or in any of several separated by commas.' },
    since: { type: 'string', description: 'Only requests created at or after this ISO-8601 date-time (UTC unless an offset is given).' },
  },
} as const;

const resultStatus = { type: 'string', enum: ['in_queue', 'in_progress', 'succeeded', 'failed', 'cancelled'] } as const;
const jobError = { type: 'object', required: ['type', 'message'], properties: { type: { type: 'string' }, message: { type: 'string' } } } as const;
const expiresAt = { type: 'string', format: 'date-time', description: 'Extension, with MODELGATE_OUTPUT_RETENTION_HOURS, finished requests only: when the request and its outputs are deleted.' } as const;

export const historyResponseSchema = {
  type: 'object',
  required: ['requests', 'next_cursor'],
  properties: {
    requests: {
      type: 'array',
      description: "The calling key's requests, newest first; deleted ones are not listed.",
      items: {
        type: 'object',
        required: ['request_id', 'model_id', 'status', 'created_at', 'status_url', 'result_url'],
        properties: {
          request_id: requestId,
          model_id: { type: 'string' },
          status: resultStatus,
          created_at: { type: 'string', format: 'date-time' },
          finished_at: { type: 'string', format: 'date-time' },
          output: outputSchema,
          error: jobError,
          expires_at: expiresAt,
          status_url: url,
          result_url: url,
        },
      },
    },
    next_cursor: { type: ['string', 'null'], description: 'Pass as `cursor` for the next (older) page; null on the last page.' },
  },
} as const;

export const deleteResponseSchema = {
  type: 'object',
  required: ['request_id', 'status'],
  properties: {
    request_id: requestId,
    status: { type: 'string', enum: ['deleted'], description: 'The outputs and stored inputs are gone; the id now answers 404001 everywhere.' },
  },
} as const;
