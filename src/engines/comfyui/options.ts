/**
 * Options of a `comfyui` engine (MODELGATE_CONFIG `engines.NAME`), read once at start-up. Every
 * error names the option, so a typo in the config file says where it is.
 *   servers              ComfyUI base URLs, e.g. ["http://10.0.0.5:8188", "http://10.0.0.6:8188"]
 *   workflows            model id → workflow file (relative to the config file); the four catalog
 *                        models default to the bundled files in workflows/
 *   request_timeout_ms   one HTTP call to a server (default 30 s)
 *   job_timeout_ms       one job from queueing to its last output (default 1 h)
 *   poll_interval_ms     /history polling while a server's websocket is down (default 1 s)
 *   reconcile_interval_ms  /history polling while it is up, in case a message was missed (default 15 s)
 *   health_interval_ms   /system_stats checks of every server (default 10 s)
 *   server_lost_ms       how long a server running one of our prompts may stay unreachable before
 *                        the job is given back to the queue for another server (default 30 s)
 *   unavailable_wait_ms  how long a job waits for any healthy server before it is given back (default 60 s)
 */
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineConfig } from '../../config.ts';

/** The bundled workflows (repository root `workflows/`). */
export const BUNDLED_WORKFLOWS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../workflows');

/** Which bundled workflow runs each catalog model when the config names none. */
export const DEFAULT_WORKFLOWS: Readonly<Record<string, string>> = {
  'ideogram/ideogram-v3/reframe': 'flux1-fill-outpaint.json',
  'bytedance/dreamina-4-0/text-to-image': 'flux1-schnell-dreamina.json',
  'bytedance/seedream-5/lite/text-to-image': 'flux1-schnell-seedream.json',
  'runwayml/runway-gen-3-alpha/turbo/image-to-video': 'wan22-5b-i2v.json',
};

export interface ComfyuiOptions {
  servers: string[];
  /** model id → absolute path of its workflow file. */
  workflows: Record<string, string>;
  requestTimeoutMs: number;
  jobTimeoutMs: number;
  pollIntervalMs: number;
  reconcileIntervalMs: number;
  healthIntervalMs: number;
  serverLostMs: number;
  unavailableWaitMs: number;
}

const KNOWN = new Set(['type', 'servers', 'workflows', 'request_timeout_ms', 'job_timeout_ms', 'poll_interval_ms', 'reconcile_interval_ms', 'health_interval_ms', 'server_lost_ms', 'unavailable_wait_ms']);

function milliseconds(options: EngineConfig, key: string, fallback: number): number {
  const value = options[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 7 * 24 * 3600_000) {
    throw new Error(`option ${key} must be a whole number of milliseconds from 1 to ${7 * 24 * 3600_000}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function serverUrl(raw: unknown, index: number): string {
  let url: URL | undefined;
  try {
    url = typeof raw === 'string' ? new URL(raw) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
    throw new Error(`option servers[${index}] must be an http(s) base URL such as "http://10.0.0.5:8188", got ${JSON.stringify(raw)}`);
  }
  return url.href.replace(/\/+$/, '');
}

export function comfyuiOptions(options: EngineConfig, baseDir: string): ComfyuiOptions {
  const unknown = Object.keys(options).filter((key) => !KNOWN.has(key));
  if (unknown.length > 0) throw new Error(`unknown option(s) ${unknown.join(', ')} (known: ${[...KNOWN].filter((k) => k !== 'type').join(', ')})`);
  const servers = options.servers;
  if (!Array.isArray(servers) || servers.length === 0) {
    throw new Error('option servers must be a non-empty list of ComfyUI base URLs, e.g. ["http://10.0.0.5:8188"]');
  }
  const urls = servers.map(serverUrl);
  if (new Set(urls).size !== urls.length) throw new Error('option servers lists the same server twice');

  const configured = options.workflows ?? {};
  if (typeof configured !== 'object' || configured === null || Array.isArray(configured)) {
    throw new Error('option workflows must map model ids to workflow files, e.g. {"bytedance/dreamina-4-0/text-to-image": "workflows/my-flux.json"}');
  }
  const workflows: Record<string, string> = {};
  for (const [modelId, file] of Object.entries(DEFAULT_WORKFLOWS)) workflows[modelId] = join(BUNDLED_WORKFLOWS_DIR, file);
  for (const [modelId, file] of Object.entries(configured as Record<string, unknown>)) {
    if (typeof file !== 'string' || file === '') throw new Error(`option workflows["${modelId}"] must be a file path, got ${JSON.stringify(file)}`);
    workflows[modelId] = isAbsolute(file) ? file : resolve(baseDir, file);
  }

  return {
    servers: urls,
    workflows,
    requestTimeoutMs: milliseconds(options, 'request_timeout_ms', 30_000),
    jobTimeoutMs: milliseconds(options, 'job_timeout_ms', 3600_000),
    pollIntervalMs: milliseconds(options, 'poll_interval_ms', 1_000),
    reconcileIntervalMs: milliseconds(options, 'reconcile_interval_ms', 15_000),
    healthIntervalMs: milliseconds(options, 'health_interval_ms', 10_000),
    serverLostMs: milliseconds(options, 'server_lost_ms', 30_000),
    unavailableWaitMs: milliseconds(options, 'unavailable_wait_ms', 60_000),
  };
}
