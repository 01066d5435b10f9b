/**
 * An integer environment setting within bounds, for config.ts and the settings modules beside it
 * (which config.ts imports, so they cannot import it back): unset or empty is the fallback,
 * anything else must be a whole number from `min` to `max`, or a ConfigError names the setting.
 */
import { ConfigError } from './config-error.ts';

export function integerSetting(env: Record<string, string | undefined>, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(name, `must be an integer, got ${JSON.stringify(raw)}`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}
