#!/usr/bin/env node
// Installs dependencies when node_modules is missing or older than the lockfile, so that
// `npm start` and `npm test` work on a fresh clone; with --build (npm start, npm run bench) it
// then compiles src/ into dist/ when dist/ is missing or older than the sources, so the server
// runs plain JavaScript. Tests run the sources and skip the build. Uses only Node built-ins: it
// runs before anything else is installed.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lockfile = join(root, 'package-lock.json');
const installedMarker = join(root, 'node_modules', '.package-lock.json');

function needsInstall() {
  if (!existsSync(installedMarker)) return true;
  if (!existsSync(lockfile)) return false;
  return statSync(installedMarker).mtimeMs < statSync(lockfile).mtimeMs;
}

if (needsInstall()) {
  const env = { ...process.env };
  // Native addons (better-sqlite3) build against the system's Node headers when no prebuilt
  // binary can be downloaded; onnxruntime-node's own install step downloads and must be skipped.
  if (!env.npm_config_nodedir && existsSync('/usr/include/node/node.h')) env.npm_config_nodedir = '/usr';
  env.ONNXRUNTIME_NODE_INSTALL ??= 'skip';
  env.ONNXRUNTIME_NODE_INSTALL_CUDA ??= 'skip';
  const command = existsSync(lockfile) ? 'ci' : 'install';
  process.stderr.write(`modelgate: installing dependencies (npm ${command}); the first run builds native modules and takes a minute or two\n`);
  const result = spawnSync('npm', [command, '--no-audit', '--no-fund'], { cwd: root, env, stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write(`modelgate: npm ${command} failed (exit ${result.status ?? result.signal})\n`);
    process.exit(result.status ?? 1);
  }
  // Two runtime dependencies of fastify's packages declare node >= 22 but run on 20 (README.md
  // explains); say so once, so a first run's only npm warnings are not taken for a failure.
  if (Number(process.versions.node.split('.')[0]) < 22) {
    process.stderr.write('modelgate: dependencies installed. The "EBADENGINE" warnings above are expected on Node 20 (cookie@2 and content-disposition@3 declare node >= 22 and run on 20; see README.md)\n');
  }
}

// The web console (web/ → web/dist), built when missing or older than its sources.
const consoleBuild = spawnSync(process.execPath, [join(root, 'scripts', 'build-console.mjs')], { cwd: root, stdio: 'inherit' });
if (consoleBuild.status !== 0) process.exit(consoleBuild.status ?? 1);

if (process.argv.includes('--build')) {
  const result = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--if-stale'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
