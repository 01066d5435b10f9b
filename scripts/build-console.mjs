#!/usr/bin/env node
// Builds the web console (web/) into web/dist when it is missing or older than any of its
// sources, so `npm start` and `npm test` on a fresh clone serve a current console. Vite does not
// type-check: test/console/console-server.test.ts runs `tsc -p web` (strict), so a type error
// fails the tests, not a start. Prints one line when it builds, nothing when the build is
// current. Exit code 0 on success, 1 on failure.
//   node scripts/build-console.mjs            build if stale
//   node scripts/build-console.mjs --force    build anyway
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const web = join(root, 'web');
const dist = join(web, 'dist');
const builtMarker = join(dist, 'index.html');
// Sources outside web/ that the console bundles: the catalog's file-rule engine, shared with the server.
const sharedSources = [join(root, 'src/catalog/file-rules.ts'), join(root, 'package-lock.json')];

/** The newest file's time: a folder's own time changes when web/dist is moved in, so it is not counted. */
function newestMtime(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) {
    if (path === web && (entry === 'dist' || entry === 'node_modules' || entry.startsWith('.dist-'))) continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

function isStale() {
  if (!existsSync(builtMarker)) return true;
  const sources = Math.max(newestMtime(web), ...sharedSources.filter(existsSync).map(newestMtime));
  return statSync(builtMarker).mtimeMs < sources;
}

function run(label, args) {
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) {
    process.stderr.write(`modelgate: console ${label} failed (exit ${result.status ?? result.signal})\n`);
    process.exit(1);
  }
}

if (!existsSync(join(web, 'index.html'))) {
  // An installed package ships web/dist without its sources: nothing to build.
} else if (process.argv.includes('--force') || isStale()) {
  const started = Date.now();
  // Built aside, then moved into place: two builds at once (test files run in parallel) never
  // write into the same folder, and a server never serves a half-written one.
  const staging = join(web, `.dist-${process.pid}`);
  try {
    run('build', [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', join(web, 'vite.config.ts'), '--outDir', staging]);
    rmSync(dist, { recursive: true, force: true });
    try {
      renameSync(staging, dist);
    } catch (error) {
      // Another build of the same sources moved its copy in first: that one is as good.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  process.stderr.write(`modelgate: built the web console into web/dist in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
