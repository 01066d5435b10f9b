/**
 * Configuration: environment variables for the common settings, plus an optional JSON or YAML
 * file (MODELGATE_CONFIG) for what does not fit in a variable, chiefly engines and model routes.
 * Every default is written once, in DEFAULTS; every error names the setting that is wrong.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { parse as parseConnectionString } from 'pg-connection-string';
import { ConfigError } from './config-error.ts';
import { integerSetting } from './integer-setting.ts';
import { inputSettingsFromEnv, type InputSettings } from './inputs/settings.ts';
import { tlsFilesSetting, type TlsFiles } from './tls/settings.ts';
import { s3SettingsFromEnv, type S3Settings } from './blobs/s3/s3-settings.ts';
import { webhookSettingsFromEnv, type WebhookSettings } from './webhooks/settings.ts';

export { ConfigError } from './config-error.ts';

/**
 * What the operator charges for a model: USD per output (image models) or per second of video.
 * The unit, when omitted, follows the model's kind; when given it must fit it (catalog/pricing.ts).
 */
export interface PriceSetting {
  usd: number;
  unit?: 'output' | 'second';
  /** Shown to clients as the model's `pricing_note`. */
  note?: string;
}

/** A model's settings in MODELGATE_CONFIG: its engine route, its price, or both. */
export interface ModelSetting {
  engine?: string;
  price?: PriceSetting;
}

export interface EngineConfig {
  type: string;
  [option: string]: unknown;
}

export interface Config {
  host: string;
  port: number;
  /** Base of every URL we hand out (status, result, cancel, outputs). No trailing slash. */
  publicUrl: string;
  /** Direct TLS (MODELGATE_TLS_CERT/KEY): serve listens with these PEM files; undefined is plain HTTP. */
  tls: TlsFiles | undefined;
  dataDir: string;
  /** In-process worker concurrency; 0 runs the API alone. */
  workers: number;
  logLevel: string;
  bodyLimitBytes: number;
  /**
   * MODELGATE_REQUEST_TIMEOUT_MS: the longest a client may take to send one request, headers and
   * body; past it the connection is closed (api/app.ts). Answers are not limited by it.
   */
  requestTimeoutMs: number;
  leaseMs: number;
  maxAttempts: number;
  sweepIntervalMs: number;
  /** How often an idle worker looks for work it was not told about (other processes' submits). */
  pollIntervalMs: number;
  /** On SIGTERM/SIGINT, how long running jobs may finish before they are released to the queue. */
  shutdownGraceMs: number;
  /**
   * First wait after a storage fault (full disk, database down): a job requeued by one waits this
   * long before it can be claimed again, and claim loops and sweepers pause as long; each fault
   * in a row doubles it, up to a minute.
   */
  faultBackoffMs: number;
  sqliteSynchronous: 'FULL' | 'NORMAL';
  /** PostgreSQL instead of the embedded SQLite file, when set (postgres:// or postgresql://). */
  databaseUrl: string | undefined;
  /**
   * MODELGATE_DATABASE_TIMEOUT_MS: the longest one PostgreSQL statement may take, lock waits
   * included; past it the request gets 503002 and a worker backs off (postgres-connection.ts, timeouts).
   */
  databaseTimeoutMs: number;
  /** Per-key request budget per minute; 0 disables rate limiting. */
  rateLimitPerMinute: number;
  /**
   * MODELGATE_REDIS_URL: rate-limit counters live in this Redis, shared by every API server.
   * Unset: in PostgreSQL when the store is PostgreSQL, else in the process's memory.
   */
  redisUrl: string | undefined;
  /** MODELGATE_MAX_RUNNING_PER_KEY: at most this many running jobs per key; 0 is unlimited. */
  maxRunningPerKey: number;
  /** MODELGATE_METRICS_TOKEN: the bearer token GET /metrics requires; unset, the route is off. */
  metricsToken: string | undefined;
  /** MODELGATE_METRICS_PORT: `modelgate worker` serves GET /metrics on this port (same token); unset, it does not. */
  metricsPort: number | undefined;
  engines: Record<string, EngineConfig>;
  /** Per-model settings: an engine route (else the catalog's default) and a price. */
  models: Record<string, ModelSetting>;
  /** `default_price`: the price of models without their own (unset: 0 USD). */
  defaultPrice: PriceSetting | undefined;
  configFile: string | undefined;
  /** File inputs: which URLs may be fetched, and the size, pixel and time limits. */
  inputs: InputSettings;
  /** How long an upload (POST /v1/files, or a data: URI stored at submit) stays usable. */
  uploadRetentionMs: number;
  /**
   * MODELGATE_OUTPUT_RETENTION_HOURS: the janitor deletes jobs (their outputs, then the row, as
   * DELETE /v1/requests/{id} does) once they finished this long ago; results show `expires_at`.
   * Undefined (the default): kept until deleted.
   */
  outputRetentionMs: number | undefined;
  /** MODELGATE_MAX_WAITING_REQUESTS: submits with `Prefer: wait` held at once by this server; past it the preference is ignored. */
  maxWaitingRequests: number;
  /**
   * A submitted field the model's input schema does not list: `reject` (422001, so a typo never
   * silently becomes a default) or `ignore` (dropped, and named in `ignored_fields`), for
   * operators whose clients send extras (a LoRA path, a `webhook`).
   */
  unknownInputs: 'reject' | 'ignore';
  /** MODELGATE_S3_URL and friends: outputs and uploads in a bucket; undefined keeps them under the data folder. */
  s3: S3Settings | undefined;
  /** MODELGATE_WEBHOOK_*: the signing secret (validated here), retry horizon and back-off, deliveries in flight. */
  webhooks: WebhookSettings;
}

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  dataDir: './data',
  workers: 2,
  logLevel: 'info',
  bodyLimitBytes: 1024 * 1024,
  // Node's own default, which Fastify turns off (0) unless told otherwise.
  requestTimeoutMs: 300_000,
  leaseMs: 30_000,
  maxAttempts: 3,
  sweepIntervalMs: 5_000,
  pollIntervalMs: 1_000,
  shutdownGraceMs: 10_000,
  faultBackoffMs: 1_000,
  sqliteSynchronous: 'FULL',
  databaseTimeoutMs: 30_000,
  rateLimitPerMinute: 0,
  maxRunningPerKey: 0,
  maxWaitingRequests: 1000,
  unknownInputs: 'reject',
  // The engines every install has; catalog entries name one of these as their default.
  engines: { builtin: { type: 'builtin' }, onnx: { type: 'onnx' } },
} as const satisfies Partial<Config>;

type Env = Record<string, string | undefined>;

/** Hours as a positive decimal (0.5 is half an hour); unset or empty: undefined, meaning off. */
function optionalHoursSetting(env: Env, name: string, max: number): number | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+(\.\d+)?$|^\.\d+$/.test(raw)) throw new ConfigError(name, `must be a number of hours such as 24 or 0.5 (unset it to keep outputs until deleted), got ${JSON.stringify(raw)}`);
  const hours = Number(raw);
  if (!(hours > 0) || hours > max) throw new ConfigError(name, `must be more than 0 and at most ${max} hours (unset it to keep outputs until deleted), got ${raw}`);
  // At least a second: a retention shorter than that would delete results before anyone reads them.
  return Math.max(1000, Math.round(hours * 3600_000));
}

function choiceSetting<T extends string>(env: Env, name: string, fallback: T, choices: readonly T[]): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = raw.trim() as T;
  if (!choices.includes(value)) throw new ConfigError(name, `must be one of ${choices.join(', ')}, got ${JSON.stringify(raw)}`);
  return value;
}

function databaseUrlSetting(env: Env): string | undefined {
  const raw = (env.MODELGATE_DATABASE_URL ?? '').trim();
  if (raw === '') return undefined;
  // Checked with the parser the store connects with (pg-connection-string), not the WHATWG URL
  // parser: libpq's forms for a Unix socket, such as postgres://app:pw@/modelgate?host=/run/postgresql,
  // are not URLs to WHATWG but are what operators write. The URL itself is not echoed: it usually
  // carries a password.
  if (!/^postgres(ql)?:\/\//i.test(raw) || !parsesAsConnectionString(raw)) {
    throw new ConfigError('MODELGATE_DATABASE_URL', 'must be a postgres:// or postgresql:// URL (unset it to use the embedded SQLite database)');
  }
  return raw;
}

function parsesAsConnectionString(raw: string): boolean {
  try {
    parseConnectionString(raw);
    return true;
  } catch {
    return false;
  }
}

function redisUrlSetting(env: Env): string | undefined {
  const raw = (env.MODELGATE_REDIS_URL ?? '').trim();
  if (raw === '') return undefined;
  const protocol = URL.canParse(raw) ? new URL(raw).protocol : undefined;
  // Not echoed: it may carry a password.
  if (protocol !== 'redis:' && protocol !== 'rediss:') throw new ConfigError('MODELGATE_REDIS_URL', 'must be a redis:// or rediss:// URL (unset it to keep rate limits in the database or in memory)');
  return raw;
}

function metricsTokenSetting(env: Env): string | undefined {
  const raw = (env.MODELGATE_METRICS_TOKEN ?? '').trim();
  if (raw === '') return undefined;
  // A scrape config carries it in plain text; still, a short one is guessable.
  if (raw.length < 16 || /\s/.test(raw)) throw new ConfigError('MODELGATE_METRICS_TOKEN', 'must be at least 16 characters without spaces (e.g. openssl rand -hex 32)');
  return raw;
}

function publicUrlSetting(env: Env, host: string, port: number, scheme: 'http' | 'https'): string {
  const raw = env.MODELGATE_PUBLIC_URL;
  if (raw === undefined || raw === '') {
    const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    return `${scheme}://${shownHost}:${port}`;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('MODELGATE_PUBLIC_URL', `must be an absolute http(s) URL, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError('MODELGATE_PUBLIC_URL', `must use http or https, got ${url.protocol}`);
  }
  if (url.search || url.hash) throw new ConfigError('MODELGATE_PUBLIC_URL', 'must not carry a query or fragment');
  return url.href.replace(/\/+$/, '');
}

const PRICE_SCHEMA = {
  type: 'object',
  required: ['usd'],
  additionalProperties: false,
  properties: {
    usd: { type: 'number', minimum: 0 },
    unit: { enum: ['output', 'second'] },
    note: { type: 'string', minLength: 1, maxLength: 500 },
  },
} as const;

const FILE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    engines: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        required: ['type'],
        properties: { type: { type: 'string', minLength: 1 } },
      },
    },
    models: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        minProperties: 1,
        additionalProperties: false,
        properties: { engine: { type: 'string', minLength: 1 }, price: PRICE_SCHEMA },
      },
    },
    default_price: PRICE_SCHEMA,
  },
} as const;

interface FileConfig {
  engines?: Record<string, EngineConfig>;
  models?: Record<string, ModelSetting>;
  default_price?: PriceSetting;
}

function readConfigFile(path: string): FileConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError('MODELGATE_CONFIG', `names a file that cannot be read: ${path} (${(error as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new ConfigError('MODELGATE_CONFIG', `(${path}) is not valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'}: ${(error as Error).message}`);
  }
  const validate = new Ajv({ allErrors: true }).compile<FileConfig>(FILE_SCHEMA);
  if (!validate(parsed ?? {})) {
    const problems = (validate.errors ?? []).map((e) => {
      // JSON Pointer escapes the slashes of model ids (~1): shown as written, e.g. models.a/b/c.price.usd.
      const where = e.instancePath.split('/').slice(1).map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~')).join('.') || '(top level)';
      return `${where} ${e.message ?? 'is invalid'}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`;
    });
    throw new ConfigError('MODELGATE_CONFIG', `(${path}): ${problems.join('; ')}`);
  }
  return (parsed ?? {}) as FileConfig;
}

export function loadConfig(env: Env = process.env): Config {
  const host = (env.HOST ?? '').trim() || DEFAULTS.host;
  const port = integerSetting(env, 'PORT', DEFAULTS.port, 0, 65535);
  const configFile = env.MODELGATE_CONFIG ? resolve(env.MODELGATE_CONFIG) : undefined;
  const file = configFile ? readConfigFile(configFile) : {};
  const engines: Record<string, EngineConfig> = { ...structuredClone(DEFAULTS.engines), ...file.engines };
  const models = file.models ?? {};
  for (const [modelId, route] of Object.entries(models)) {
    if (route.engine !== undefined && !engines[route.engine]) {
      throw new ConfigError('MODELGATE_CONFIG', `routes model ${modelId} to engine "${route.engine}", which is not defined under "engines" (defined: ${Object.keys(engines).join(', ')})`);
    }
  }
  const tls = tlsFilesSetting(env);
  const leaseMs = integerSetting(env, 'MODELGATE_LEASE_MS', DEFAULTS.leaseMs, 100, 24 * 3600_000);
  return {
    host,
    port,
    publicUrl: publicUrlSetting(env, host, port, tls ? 'https' : 'http'),
    tls,
    dataDir: resolve((env.MODELGATE_DATA_DIR ?? '').trim() || DEFAULTS.dataDir),
    workers: integerSetting(env, 'MODELGATE_WORKERS', DEFAULTS.workers, 0, 256),
    logLevel: choiceSetting(env, 'MODELGATE_LOG_LEVEL', DEFAULTS.logLevel, ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    bodyLimitBytes: integerSetting(env, 'MODELGATE_BODY_LIMIT', DEFAULTS.bodyLimitBytes, 1024, 1024 ** 3),
    requestTimeoutMs: integerSetting(env, 'MODELGATE_REQUEST_TIMEOUT_MS', DEFAULTS.requestTimeoutMs, 1_000, 3_600_000),
    leaseMs,
    maxAttempts: integerSetting(env, 'MODELGATE_MAX_ATTEMPTS', DEFAULTS.maxAttempts, 1, 100),
    sweepIntervalMs: integerSetting(env, 'MODELGATE_SWEEP_INTERVAL_MS', Math.min(DEFAULTS.sweepIntervalMs, leaseMs), 10, 3600_000),
    pollIntervalMs: integerSetting(env, 'MODELGATE_POLL_INTERVAL_MS', DEFAULTS.pollIntervalMs, 10, 3600_000),
    shutdownGraceMs: integerSetting(env, 'MODELGATE_SHUTDOWN_GRACE_MS', DEFAULTS.shutdownGraceMs, 0, 3600_000),
    faultBackoffMs: integerSetting(env, 'MODELGATE_FAULT_BACKOFF_MS', DEFAULTS.faultBackoffMs, 10, 600_000),
    sqliteSynchronous: choiceSetting(env, 'MODELGATE_SQLITE_SYNCHRONOUS', DEFAULTS.sqliteSynchronous, ['FULL', 'NORMAL']),
    databaseUrl: databaseUrlSetting(env),
    // At least a second: the round trip of a loaded database must fit; at most an hour.
    databaseTimeoutMs: integerSetting(env, 'MODELGATE_DATABASE_TIMEOUT_MS', DEFAULTS.databaseTimeoutMs, 1_000, 3_600_000),
    rateLimitPerMinute: integerSetting(env, 'MODELGATE_RATE_LIMIT_PER_MINUTE', DEFAULTS.rateLimitPerMinute, 0, 10_000_000),
    redisUrl: redisUrlSetting(env),
    maxRunningPerKey: integerSetting(env, 'MODELGATE_MAX_RUNNING_PER_KEY', DEFAULTS.maxRunningPerKey, 0, 1_000_000),
    metricsToken: metricsTokenSetting(env),
    metricsPort: env.MODELGATE_METRICS_PORT ? integerSetting(env, 'MODELGATE_METRICS_PORT', 0, 0, 65535) : undefined,
    engines,
    models,
    defaultPrice: file.default_price,
    configFile,
    inputs: inputSettingsFromEnv(env),
    uploadRetentionMs: integerSetting(env, 'MODELGATE_UPLOAD_RETENTION_HOURS', 24, 1, 24 * 365) * 3600_000,
    outputRetentionMs: optionalHoursSetting(env, 'MODELGATE_OUTPUT_RETENTION_HOURS', 24 * 365 * 100),
    maxWaitingRequests: integerSetting(env, 'MODELGATE_MAX_WAITING_REQUESTS', DEFAULTS.maxWaitingRequests, 0, 1_000_000),
    unknownInputs: choiceSetting(env, 'MODELGATE_UNKNOWN_INPUTS', DEFAULTS.unknownInputs, ['reject', 'ignore']),
    s3: s3SettingsFromEnv(env),
    webhooks: webhookSettingsFromEnv(env),
  };
}
