#!/usr/bin/env node
// Compiles src/ into dist/ (ESM JavaScript, .d.ts, source maps) with tsc and tsconfig.build.json,
// copies the few run-time files that are not TypeScript, and writes dist/.build-stamp last.
// bin/modelgate.mjs runs dist/ only when that stamp is newer than every file under src/, so a
// build that failed halfway is never run. Uses only Node built-ins and the installed typescript.
//   node scripts/build.mjs            build now
//   node scripts/build.mjs --if-stale build only when dist/ is missing or older than src/
//   node scripts/build.mjs --package  build, then the web console too (npm's prepack)
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { distState, PACKAGE_ROOT } from '../bin/dist-state.mjs';

/** Not TypeScript, needed at run time: the engine threads' entry (a Worker is started on a file). */
const RUNTIME_FILES = ['engines/threads/thread-boot.mjs'];

export function build({ quiet = false } = {}) {
  const dist = join(PACKAGE_ROOT, 'dist');
  let tsc;
  try {
    tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  } catch {
    throw new Error('building dist/ needs the typescript dev dependency: run `npm install` in the checkout');
  }
  // A clean folder: a source deleted since the last build must not linger as JavaScript.
  rmSync(dist, { recursive: true, force: true });
  if (!quiet) process.stderr.write('modelgate: compiling src/ into dist/ (tsc, about half a minute)\n');
  const result = spawnSync(process.execPath, [tsc, '-p', join(PACKAGE_ROOT, 'tsconfig.build.json')], { cwd: PACKAGE_ROOT, encoding: 'utf8' });
  process.stderr.write(result.stdout + result.stderr);
  if (result.status !== 0) {
    // `tsc --noEmit` does not report these: only writing .d.ts files does.
    const hint = /TS4058|TS2742|TS4094/.test(result.stdout)
      ? '\n  (an exported function\'s inferred type names something the .d.ts cannot import, e.g. better-sqlite3\'s Statement: give it an explicit type, or mark a module-internal export /** @internal */, which tsconfig.build.json strips)'
      : '';
    throw new Error(`tsc -p tsconfig.build.json failed (exit ${result.status ?? result.signal}); dist/ is left without a stamp and will not be run${hint}`);
  }
  for (const file of RUNTIME_FILES) {
    mkdirSync(dirname(join(dist, file)), { recursive: true });
    copyFileSync(join(PACKAGE_ROOT, 'src', file), join(dist, file));
  }
  writeFileSync(join(dist, '.build-stamp'), `${new Date().toISOString()}\n`);
}

/** The web console (web/ → web/dist/, shipped in the package), when this checkout has its build script. */
function buildConsole() {
  const script = join(PACKAGE_ROOT, 'scripts', 'build-console.mjs');
  if (!existsSync(script)) return;
  const result = spawnSync(process.execPath, [script], { cwd: PACKAGE_ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`scripts/build-console.mjs failed (exit ${result.status ?? result.signal})`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    if (process.argv.includes('--if-stale')) {
      const state = distState();
      if (state.fresh) process.exit(0);
      if (!state.buildable) {
        // An installed package ships dist/ without src/; nothing to build there.
        process.exit(0);
      }
    }
    build();
    if (process.argv.includes('--package')) buildConsole();
  } catch (error) {
    process.stderr.write(`modelgate: ${error.message}\n`);
    process.exit(1);
  }
}
