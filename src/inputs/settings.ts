/**
 * The input library's knobs, their defaults, and how the environment sets them. The integrator
 * may fold `inputSettingsFromEnv` into src/config.ts; it lives here so the library is usable
 * (and testable) on its own. Sizes are MiB, like the catalog's `file_size_mb` rule.
 */
import { ConfigError } from '../config-error.ts';
import { HostAllowList } from './address-policy.ts';

export interface InputLimits {
  /** Decoded bytes of a fetched or uploaded image. RunComfy recommends ≤ 50 MB. */
  maxImageBytes: number;
  /** Decoded bytes of a fetched or uploaded video. RunComfy recommends ≤ 100 MB. */
  maxVideoBytes: number;
  /** Decoded bytes of a data: URI (also bounded by the kind's cap). */
  maxDataUriBytes: number;
  /** Width × height ceiling, read from the image header before any decode. */
  maxPixels: number;
  maxUrlLength: number;
  maxRedirects: number;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  /** Longest silence between two body chunks. */
  idleTimeoutMs: number;
  /** Total fetch deadline (DNS, redirects and body) for an image. */
  imageTotalTimeoutMs: number;
  videoTotalTimeoutMs: number;
  /** ffprobe wall time before SIGKILL. */
  probeTimeoutMs: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_INPUT_LIMITS: Readonly<InputLimits> = Object.freeze({
  maxImageBytes: 50 * MiB,
  maxVideoBytes: 100 * MiB,
  maxDataUriBytes: 10 * MiB,
  maxPixels: 100_000_000,
  maxUrlLength: 2048,
  maxRedirects: 5,
  connectTimeoutMs: 5_000,
  headersTimeoutMs: 10_000,
  idleTimeoutMs: 10_000,
  imageTotalTimeoutMs: 60_000,
  videoTotalTimeoutMs: 180_000,
  probeTimeoutMs: 15_000,
});

export interface InputSettings {
  allowHttp: boolean;
  allowHosts: HostAllowList;
  limits: InputLimits;
}

type Env = Record<string, string | undefined>;

function positive(env: Env, name: string, fallback: number, scale: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new ConfigError(name, `must be a positive number, got ${JSON.stringify(raw)}`);
  return Math.round(value * scale);
}

function flag(env: Env, name: string): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '' || raw === '0' || raw === 'false' || raw === 'no') return false;
  if (raw === '1' || raw === 'true' || raw === 'yes') return true;
  throw new ConfigError(name, `must be 1 or 0, got ${JSON.stringify(env[name])}`);
}

/**
 * MODELGATE_INPUT_ALLOW_HTTP=1, MODELGATE_INPUT_ALLOW_HOSTS=host[:port],…,
 * MODELGATE_INPUT_MAX_IMAGE_MB, _MAX_VIDEO_MB, _MAX_DATA_URI_MB, _MAX_MEGAPIXELS,
 * _FETCH_TIMEOUT_S (image total; video gets three times it).
 */
export function inputSettingsFromEnv(env: Env = process.env): InputSettings {
  let allowHosts: HostAllowList;
  try {
    allowHosts = HostAllowList.parse(env.MODELGATE_INPUT_ALLOW_HOSTS);
  } catch (error) {
    throw new ConfigError('MODELGATE_INPUT_ALLOW_HOSTS', (error as Error).message);
  }
  const imageTotal = positive(env, 'MODELGATE_INPUT_FETCH_TIMEOUT_S', DEFAULT_INPUT_LIMITS.imageTotalTimeoutMs, 1000);
  return {
    allowHttp: flag(env, 'MODELGATE_INPUT_ALLOW_HTTP'),
    allowHosts,
    limits: {
      ...DEFAULT_INPUT_LIMITS,
      maxImageBytes: positive(env, 'MODELGATE_INPUT_MAX_IMAGE_MB', DEFAULT_INPUT_LIMITS.maxImageBytes, MiB),
      maxVideoBytes: positive(env, 'MODELGATE_INPUT_MAX_VIDEO_MB', DEFAULT_INPUT_LIMITS.maxVideoBytes, MiB),
      maxDataUriBytes: positive(env, 'MODELGATE_INPUT_MAX_DATA_URI_MB', DEFAULT_INPUT_LIMITS.maxDataUriBytes, MiB),
      maxPixels: positive(env, 'MODELGATE_INPUT_MAX_MEGAPIXELS', DEFAULT_INPUT_LIMITS.maxPixels, 1e6),
      imageTotalTimeoutMs: imageTotal,
      videoTotalTimeoutMs: env.MODELGATE_INPUT_FETCH_TIMEOUT_S ? imageTotal * 3 : DEFAULT_INPUT_LIMITS.videoTotalTimeoutMs,
    },
  };
}
