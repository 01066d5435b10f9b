/**
 * Finds a media tool without ever downloading one: an explicit path from the environment, then
 * the tool on PATH (Debian's package), then the binary shipped inside an npm package that carries
 * the executable itself (@ffmpeg-installer/ffmpeg, @ffprobe-installer/ffprobe).
 */
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, resolve } from 'node:path';

export interface ExecutableLocation {
  path: string;
  /** Where it was found: the variable's name, 'PATH', or the npm package's name. */
  source: string;
}

export interface ExecutableSpec {
  /** The command name looked up on PATH, e.g. `ffmpeg`. */
  command: string;
  /** The variable that names an explicit path, used as given (a wrong one fails loudly at spawn). */
  envVar: string;
  /** An npm package exporting `{ path }` of a bundled binary. */
  npmPackage: string;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The npm package's binary, or undefined when it is not installed for this platform. */
export function bundledExecutable(npmPackage: string): string | undefined {
  try {
    const bundled = createRequire(import.meta.url)(npmPackage) as { path: string };
    return isExecutable(bundled.path) ? bundled.path : undefined;
  } catch {
    return undefined;
  }
}

export function findExecutable(spec: ExecutableSpec, env: NodeJS.ProcessEnv = process.env): ExecutableLocation | undefined {
  const explicit = env[spec.envVar];
  if (explicit) return { path: explicit, source: spec.envVar };
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = resolve(dir, spec.command);
    if (isExecutable(candidate)) return { path: candidate, source: 'PATH' };
  }
  const bundled = bundledExecutable(spec.npmPackage);
  return bundled ? { path: bundled, source: spec.npmPackage } : undefined;
}
