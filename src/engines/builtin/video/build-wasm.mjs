#!/usr/bin/env node
// Compiles sampler.wat (WebAssembly text) into sampler-wasm-binary.ts with wabt (a dev
// dependency), so running the engine needs no compiler. Run after editing sampler.wat:
//   node src/engines/builtin/video/build-wasm.mjs
// `--check` compiles and exits 1 when the committed binary differs (the tests do the same).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import createWabt from 'wabt';

const here = dirname(fileURLToPath(import.meta.url));

export async function compileSampler() {
  const wabt = await createWabt();
  const module = wabt.parseWat('sampler.wat', readFileSync(join(here, 'sampler.wat'), 'utf8'), { simd: true });
  module.validate();
  const { buffer } = module.toBinary({ write_debug_names: false });
  module.destroy();
  return Buffer.from(buffer);
}

export function binaryModule(bytes) {
  const base64 = bytes.toString('base64').replace(/.{1,100}/g, (line) => `  '${line}' +\n`);
  return `// Generated from sampler.wat by build-wasm.mjs: do not edit.\nexport const SAMPLER_WASM =\n${base64}  '';\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const source = binaryModule(await compileSampler());
  const target = join(here, 'sampler-wasm-binary.ts');
  if (process.argv.includes('--check')) {
    const same = readFileSync(target, 'utf8') === source;
    console.log(same ? 'sampler-wasm-binary.ts is up to date' : 'sampler-wasm-binary.ts is stale: run node src/engines/builtin/video/build-wasm.mjs');
    process.exit(same ? 0 : 1);
  }
  writeFileSync(target, source);
  console.log(`wrote ${target}`);
}
