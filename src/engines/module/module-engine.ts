/**
 * The `module` engine type: an engine written by the operator (or a test) in its own file,
 * configured as `{"type": "module", "module": "./my-engine.ts", ...options}`. The file exports
 * `createEngine({name, options, log})` returning an Engine. The path is resolved against the
 * config file's folder, like every relative path in MODELGATE_CONFIG.
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import type { EngineConfig } from '../../config.ts';
import type { Engine } from '../engine.ts';

export interface ModuleEngineFactoryArgs {
  name: string;
  options: EngineConfig;
  log: Logger;
}

export async function createModuleEngine(name: string, options: EngineConfig, baseDir: string, log: Logger): Promise<Engine> {
  const modulePath = options.module;
  if (typeof modulePath !== 'string' || modulePath === '') {
    throw new Error(`engine "${name}" (type module) needs "module": the path of a file that exports createEngine()`);
  }
  const file = isAbsolute(modulePath) ? modulePath : resolve(baseDir, modulePath);
  const loaded = (await import(pathToFileURL(file).href)) as { createEngine?: (args: ModuleEngineFactoryArgs) => Engine | Promise<Engine> };
  if (typeof loaded.createEngine !== 'function') throw new Error(`engine "${name}": ${file} does not export createEngine()`);
  return loaded.createEngine({ name, options, log });
}
