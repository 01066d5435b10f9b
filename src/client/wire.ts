/**
 * The wire shapes the client reads and sends (SPEC §2 and its extensions), written out here
 * rather than imported from the server's modules, so the client's compiled types stand alone:
 * a browser bundle or a plain Node script pulls in no server code, not even as types.
 * test/client/wire-types.test.ts checks that the server's views still fit these.
 */

/** The error envelope of every rejected request. */
export interface ErrorEnvelope {
  error_code: number;
  error_message: string;
  detail?: ErrorDetail[];
}

export interface ErrorDetail {
  loc: Array<string | number>;
  msg: string;
  type: string;
}

export interface SubmitResponse {
  request_id: string;
  status_url: string;
  result_url: string;
  cancel_url: string;
  /** MODELGATE_UNKNOWN_INPUTS=ignore: the fields the job runs without. */
  ignored_fields?: string[];
}

export type WireStatus = 'in_queue' | 'in_progress' | 'completed' | 'cancelled';
export type WireResultStatus = 'in_queue' | 'in_progress' | 'succeeded' | 'failed' | 'cancelled';

export interface StatusView {
  request_id: string;
  /** A failed run shows `completed` here; the result says `failed`. */
  status: WireStatus;
  /** 0 = next; only while `in_queue`. */
  queue_position?: number;
  /** 0–1, while `in_progress`, when the engine reports it (an extension). */
  progress?: number;
  status_url: string;
  result_url: string;
  ignored_fields?: string[];
}

export interface OutputView {
  image?: string;
  video?: string;
  images?: string[];
  videos?: string[];
}

export interface ResultView {
  request_id: string;
  status: WireResultStatus;
  output?: OutputView;
  error?: { type: string; message: string };
  created_at: string;
  finished_at?: string;
  metrics?: { queue_seconds?: number; run_seconds?: number };
  ignored_fields?: string[];
  /** `?include_input=true` (ModelGate extension): the input as stored at submit. */
  input?: Record<string, unknown>;
  cost?: number;
  expires_at?: string;
  notices?: string[];
  /** Submitted with `?webhook=`: how the `completed` delivery stands (ModelGate extension). */
  webhook?: { state: 'pending' | 'delivering' | 'delivered' | 'failed'; attempts: number };
}

export interface CancelResponse {
  request_id: string;
  status: WireStatus;
  outcome: 'cancelled' | 'not_cancellable';
}

/** POST /v1/files (a ModelGate extension): `url` is accepted as a file input by the same key. */
export interface UploadResponse {
  file_id: string;
  url: string;
  content_type: string;
  size: number;
  sha256: string;
  expires_at: string;
}

export interface ModelSummary {
  model_id: string;
  display_name: string;
  categories: string[];
  description?: string;
  /** ModelGate extensions: the engine the model is routed to, and whether it is configured. */
  engine?: string;
  engine_available?: boolean;
}

/** A property of a model's input schema: the keywords clients read (the rest stay reachable). */
export interface SchemaProperty {
  type?: string | string[];
  title?: string;
  description?: string;
  enum?: unknown[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  /** The catalog's file rules on a file field. */
  validations?: Array<{ validation_rule?: string; validation_value?: unknown; validation_error?: string }>;
  [keyword: string]: unknown;
}

export interface ModelDetail extends ModelSummary {
  input_schema: { properties?: Record<string, SchemaProperty>; required?: string[] };
  output_schema: unknown;
  /** ModelGate extension: the fields that take a file, with the kind each must be. */
  file_inputs?: Record<string, { kind: string }>;
}
