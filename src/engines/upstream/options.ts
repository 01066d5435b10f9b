/**
 * The `upstream` engine's options (MODELGATE_CONFIG `engines.NAME`), read and checked once at
 * start-up. A bad option is a start-up error, which the registry turns into engine_unavailable
 * with this message. The token itself never appears in the config file: `token_env` names the
 * environment variable that holds it, so the file can be committed and shown.
 */
import type { EngineConfig } from '../../config.ts';
import { HostAllowList } from '../../inputs/address-policy.ts';

/** How a file input reaches the upstream (see docs/engines.md, "upstream"). */
export type FileInputMode = 'data_uri' | 'url' | 'upload';
const FILE_INPUT_MODES: readonly FileInputMode[] = ['data_uri', 'url', 'upload'];

export interface UpstreamOptions {
  /** Base URL without a trailing slash, e.g. https://model-api.runcomfy.net (the /v1 is ours to add). */
  baseUrl: string;
  /** The origin of baseUrl: output URLs there are fetched directly (the operator chose it). */
  origin: string;
  /** The bearer token, read from the environment; never logged, never in an error message. */
  token: string | undefined;
  tokenEnv: string | undefined;
  /** Our model id → the upstream's; a model not listed keeps its id. */
  models: Record<string, string>;
  fileInputs: FileInputMode;
  /** Largest file sent inline as a data: URI. */
  maxInlineBytes: number;
  /** Largest output file copied back. */
  maxOutputBytes: number;
  /** Status polls start at pollMinMs and back off (×1.5, jittered) to pollMaxMs while nothing changes. */
  pollMinMs: number;
  pollMaxMs: number;
  /** One HTTP exchange with the upstream: connect + headers. */
  requestTimeoutMs: number;
  /** The whole run upstream, from submit to the last output copied. */
  timeoutMs: number;
  /** How long consecutive transient failures (network, 5xx, 429) are retried before the job fails. */
  retryBudgetMs: number;
  /** Ceiling on one Retry-After wait, so a bogus header cannot park a worker for a day. */
  maxRetryAfterMs: number;
  /** Output URLs on another origin go through the SSRF-safe fetcher; these hosts skip its address check. */
  outputAllowHosts: HostAllowList;
  outputAllowHttp: boolean;
}

const MiB = 1024 * 1024;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const KNOWN = new Set([
  'type', 'base_url', 'token_env', 'models', 'file_inputs', 'max_inline_mb', 'max_output_mb', 'poll_min_ms', 'poll_max_ms',
  'request_timeout_s', 'timeout_s', 'retry_budget_s', 'max_retry_after_s', 'output_allow_hosts', 'output_allow_http',
]);

function numberOption(options: EngineConfig, key: string, fallback: number, min: number, max: number): number {
  const value = options[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new Error(`option ${key} must be a number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function baseUrlOption(raw: unknown): URL {
  if (typeof raw !== 'string' || raw === '') throw new Error('option base_url is required: the API root, e.g. "https://model-api.runcomfy.net"');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`option base_url must be an absolute http(s) URL, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`option base_url must use http or https, got ${url.protocol}`);
  // Credentials in the URL would end up in logs and error messages; the token has its own way in.
  if (url.username || url.password) throw new Error('option base_url must not carry credentials; put the token in the variable named by token_env');
  if (url.search || url.hash) throw new Error('option base_url must not carry a query or fragment');
  return url;
}

export function upstreamOptions(options: EngineConfig, env: Record<string, string | undefined> = process.env): UpstreamOptions {
  if ('token' in options || 'api_key' in options) {
    throw new Error('the token must not be written in the config file: put it in an environment variable and name that variable in "token_env" (e.g. "token_env": "RUNCOMFY_TOKEN")');
  }
  const unknown = Object.keys(options).filter((key) => !KNOWN.has(key));
  if (unknown.length > 0) throw new Error(`unknown option(s) ${unknown.join(', ')} (known: ${[...KNOWN].filter((k) => k !== 'type').join(', ')})`);
  const base = baseUrlOption(options.base_url);

  let token: string | undefined;
  let tokenEnv: string | undefined;
  if (options.token_env !== undefined) {
    if (typeof options.token_env !== 'string' || !ENV_NAME.test(options.token_env)) {
      throw new Error(`option token_env must be an environment variable name, got ${JSON.stringify(options.token_env)}`);
    }
    tokenEnv = options.token_env;
    token = env[tokenEnv]?.trim();
    if (!token) throw new Error(`the environment variable ${tokenEnv} (option token_env) is not set or empty; it must hold the upstream's API token`);
  }

  const models: Record<string, string> = {};
  if (options.models !== undefined) {
    if (options.models === null || typeof options.models !== 'object' || Array.isArray(options.models)) {
      throw new Error('option models must be an object: {"<our model id>": "<the upstream\'s model id>"}');
    }
    for (const [ours, theirs] of Object.entries(options.models)) {
      if (typeof theirs !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._\-/]*$/.test(theirs) || theirs.includes('//') || theirs.split('/').includes('..')) {
        throw new Error(`option models.${ours} must be a model id (letters, digits, . _ - and / segments), got ${JSON.stringify(theirs)}`);
      }
      models[ours] = theirs;
    }
  }

  const fileInputs = (options.file_inputs ?? 'data_uri') as FileInputMode;
  if (!FILE_INPUT_MODES.includes(fileInputs)) throw new Error(`option file_inputs must be one of ${FILE_INPUT_MODES.join(', ')}, got ${JSON.stringify(options.file_inputs)}`);

  let outputAllowHosts: HostAllowList;
  const hosts = options.output_allow_hosts;
  if (hosts !== undefined && typeof hosts !== 'string' && !(Array.isArray(hosts) && hosts.every((h) => typeof h === 'string'))) {
    throw new Error('option output_allow_hosts must be a list of host[:port] strings');
  }
  try {
    outputAllowHosts = HostAllowList.parse(hosts as string | string[] | undefined);
  } catch (error) {
    throw new Error(`option output_allow_hosts: ${(error as Error).message}`);
  }
  if (options.output_allow_http !== undefined && typeof options.output_allow_http !== 'boolean') throw new Error('option output_allow_http must be true or false');

  const pollMinMs = numberOption(options, 'poll_min_ms', 500, 10, 600_000);
  const pollMaxMs = numberOption(options, 'poll_max_ms', 5_000, 10, 3_600_000);
  if (pollMaxMs < pollMinMs) throw new Error(`option poll_max_ms (${pollMaxMs}) must not be below poll_min_ms (${pollMinMs})`);
  return {
    baseUrl: base.href.replace(/\/+$/, ''),
    origin: base.origin,
    token,
    tokenEnv,
    models,
    fileInputs,
    maxInlineBytes: Math.round(numberOption(options, 'max_inline_mb', 10, 0.001, 1024) * MiB),
    maxOutputBytes: Math.round(numberOption(options, 'max_output_mb', 500, 0.001, 64 * 1024) * MiB),
    pollMinMs,
    pollMaxMs,
    requestTimeoutMs: numberOption(options, 'request_timeout_s', 30, 0.1, 3600) * 1000,
    timeoutMs: numberOption(options, 'timeout_s', 3600, 1, 7 * 24 * 3600) * 1000,
    retryBudgetMs: numberOption(options, 'retry_budget_s', 300, 0.1, 24 * 3600) * 1000,
    maxRetryAfterMs: numberOption(options, 'max_retry_after_s', 120, 0, 24 * 3600) * 1000,
    outputAllowHosts,
    outputAllowHttp: options.output_allow_http === true,
  };
}

/** The upstream's id for one of our models. */
export function upstreamModelId(options: Pick<UpstreamOptions, 'models'>, modelId: string): string {
  return options.models[modelId] ?? modelId;
}
