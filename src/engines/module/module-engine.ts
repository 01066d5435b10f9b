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
  const loaded = (await importEngineModule(file)) as { createEngine?: (args: ModuleEngineFactoryArgs) => Engine | Promise<Engine> };
  if (typeof loaded.createEngine !== 'function') throw new Error(`engine "${name}": ${file} does not export createEngine()`);
  return loaded.createEngine({ name, options, log });
}

/**
 * Imports the operator's file. The server itself runs compiled JavaScript, so an engine written
 * in TypeScript needs tsx: it is registered here, only for such a file, when it is installed
 * (a failed import is cached, hence the query on the second try).
 */
async function importEngineModule(file: string): Promise<unknown> {
  const url = pathToFileURL(file).href;
  try {
    return await import(url);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
    let register: () => unknown;
    try {
      // A variable specifier: tsx is a development dependency, not part of the build's types.
      const tsx = 'tsx/esm/api';
      ({ register } = (await import(tsx)) as { register: () => unknown });
    } catch {
      throw new Error(`${file} is TypeScript, which plain Node cannot load: compile it to .js, or install tsx beside ModelGate (npm install tsx)`);
    }
    register();
    return import(`${url}?with-tsx`);
  }
}
